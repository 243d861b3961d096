"""Tests for mvcpy.routing.tree: pattern parsing, precedence, backtracking and diagnostics."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

import pytest

from mvcpy.errors import ConfigurationError
from mvcpy.routing.converters import make_converter
from mvcpy.routing.tree import Match, RouteTree, Segment, parse_pattern


def segs(path: str) -> list[str]:
    """Split a request path the way the router does (already percent-decoded)."""
    assert path.startswith("/")
    return path[1:].split("/")


def build(*routes: tuple[str, str | Sequence[str]]) -> RouteTree[str]:
    """Build a frozen tree whose payload and label are ``"METHODS pattern"``."""
    tree: RouteTree[str] = RouteTree()
    for pattern, methods in routes:
        label = f"{methods} {pattern}"
        tree.insert(pattern, [methods] if isinstance(methods, str) else methods, label, label)
    tree.freeze()
    return tree


def winner(tree: RouteTree[str], path: str, method: str = "GET") -> str | None:
    found = tree.match(segs(path), method)
    return None if found is None else found.payload


# --- parse_pattern ---------------------------------------------------------------------------


def test_parse_root_and_trailing_slash() -> None:
    assert parse_pattern("/") == (Segment(""),)
    assert parse_pattern("/a/") == (Segment("a"), Segment(""))
    assert parse_pattern("/a/b") == (Segment("a"), Segment("b"))


@pytest.mark.parametrize(
    ("pattern", "name", "spec"),
    [
        ("/{id}", "id", None),
        ("/{id:}", "id", None),
        ("/{id:int}", "id", "int"),
        ("/{id:uuid}", "id", "uuid"),
        ("/:name", "name", None),
        ("/*rest", "rest", "path"),
        ("/{rest:path}", "rest", "path"),
        ("/{code:[0-9]{3}}", "code", "[0-9]{3}"),
        ("/{x:a:b}", "x", "a:b"),
        (r"/{x:\{+}", "x", r"\{+"),
        ("/{x:a/b}", "x", "a/b"),
    ],
)
def test_parse_params(pattern: str, name: str, spec: str | None) -> None:
    (segment,) = parse_pattern(pattern)
    assert segment == Segment(None, name, make_converter(spec))
    assert segment.is_catch_all == (spec == "path")


def test_parse_mixed_pattern() -> None:
    parsed = parse_pattern("/v1/users/{id:int}/files/*path")
    assert [s.static for s in parsed] == ["v1", "users", None, "files", None]
    assert [s.name for s in parsed] == [None, None, "id", None, "path"]
    assert [s.describe() for s in parsed] == ["v1", "users", "{id:int}", "files", "{path:path}"]


def test_parse_keeps_colons_and_stars_inside_static_text() -> None:
    assert parse_pattern("/v1/things:batch/a*b") == (
        Segment("v1"),
        Segment("things:batch"),
        Segment("a*b"),
    )


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("users", "start with '/'"),
        ("", "start with '/'"),
        ("/a/{id", "unbalanced"),
        ("/a/id}", "unbalanced"),
        ("/a/{x:[0-9]{3}", "unbalanced"),
        ("/a/{}", "identifier"),
        ("/a/{:int}", "identifier"),
        ("/a/{1x}", "identifier"),
        ("/a/{x-y}", "identifier"),
        ("/a/:", "identifier"),
        ("/a/*", "identifier"),
        ("/a/:x-y", "identifier"),
        ("/a/{x}/{x:int}", "twice"),
        ("/a/{x}/*x", "twice"),
        ("/a/*rest/{id}", "only static segments may follow the catch-all"),
        ("/a/{p:path}/b/{c:int}", "only static segments may follow the catch-all"),
        ("/a/x{p:path}", "a catch-all cannot share a segment"),
        ("/a/{a}{b}", "two parameters need text between them"),
        ("/a/{m?}/b", "only optional parameters may follow"),
        ("/a/{m:int?}/{n:int}", "only optional parameters may follow"),
        ("/a/x{id?}", "cannot be optional"),
        ("/a/x{id}}", "unbalanced"),
        ("/a/{x:(}", "regular expression"),
    ],
)
def test_parse_errors_name_the_pattern(pattern: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_pattern(pattern)
    assert repr(pattern) in str(info.value)
    assert reason in str(info.value)


# --- precedence and backtracking -------------------------------------------------------------


@pytest.fixture
def users() -> RouteTree[str]:
    return build(
        ("/users", "GET"),
        ("/users/new", "GET"),
        ("/users/{id:int}", "GET"),
        ("/users/{name}", "GET"),
        ("/users/{name}/posts", "GET"),
        ("/users/{name}/x", "GET"),
        ("/users/new/edit", "GET"),
        ("/files/*p", "GET"),
        ("/files/readme", "GET"),
        ("/files/{name}/meta", "GET"),
    )


@pytest.mark.parametrize(
    ("path", "expected", "params"),
    [
        ("/users", "GET /users", {}),
        ("/users/new", "GET /users/new", {}),
        ("/users/42", "GET /users/{id:int}", {"id": 42}),
        ("/users/-42", "GET /users/{id:int}", {"id": -42}),
        ("/users/bob", "GET /users/{name}", {"name": "bob"}),
        ("/users/new/edit", "GET /users/new/edit", {}),
        # static "new" fails deeper down: fall back to the plain parameter
        ("/users/new/posts", "GET /users/{name}/posts", {"name": "new"}),
        ("/users/new/x", "GET /users/{name}/x", {"name": "new"}),
        ("/users/42/posts", "GET /users/{name}/posts", {"name": "42"}),
        # an int that overflows 64 bits is not an int: plain parameter, never an error
        ("/users/99999999999999999999", "GET /users/{name}", {"name": "99999999999999999999"}),
        ("/files/readme", "GET /files/readme", {}),
        ("/files/readme/meta", "GET /files/{name}/meta", {"name": "readme"}),
        ("/files/a/b", "GET /files/*p", {"p": "a/b"}),
        ("/files/readme/x", "GET /files/*p", {"p": "readme/x"}),
        ("/files/", "GET /files/*p", {"p": ""}),
        ("/files/a/", "GET /files/*p", {"p": "a/"}),
    ],
)
def test_precedence_and_backtracking(
    users: RouteTree[str], path: str, expected: str, params: dict[str, Any]
) -> None:
    found = users.match(segs(path), "GET")
    assert found is not None
    assert found.payload == expected
    assert found.params == params
    assert found.pattern == expected.split(" ", 1)[1]
    assert all(type(v) is type(params[k]) for k, v in found.params.items())


@pytest.mark.parametrize("path", ["/files", "/users/", "/users/new/edit/more", "/nope", "/"])
def test_no_match(users: RouteTree[str], path: str) -> None:
    assert users.match(segs(path), "GET") is None


def test_typed_beats_plain_regardless_of_registration_order() -> None:
    tree = build(("/a/{name}", "GET"), ("/a/{id:int}", "GET"), ("/a/*rest", "GET"))
    assert winner(tree, "/a/5") == "GET /a/{id:int}"
    assert winner(tree, "/a/x") == "GET /a/{name}"
    assert winner(tree, "/a/x/y") == "GET /a/*rest"


def test_typed_and_regex_keep_registration_order() -> None:
    tree = build(("/r/{x:[a-z0-9]+}", "GET"), ("/r/{id:int}", "GET"))
    assert winner(tree, "/r/12") == "GET /r/{x:[a-z0-9]+}"
    tree = build(("/r/{id:int}", "GET"), ("/r/{x:[a-z0-9]+}", "GET"))
    assert winner(tree, "/r/12") == "GET /r/{id:int}"
    assert winner(tree, "/r/ab") == "GET /r/{x:[a-z0-9]+}"


def test_backtracking_restores_params() -> None:
    tree = build(("/a/{x:int}/{y:int}/z", "GET"), ("/a/{s}/{t}/w", "GET"))
    found = tree.match(segs("/a/1/2/w"), "GET")
    assert found is not None
    assert found.params == {"s": "1", "t": "2"}


def test_compressed_static_edge_falls_back() -> None:
    tree = build(("/a/b/c/d", "GET"), ("/a/{x}/c/e", "GET"), ("/a/b/c/{y:int}", "GET"))
    assert "a/b/c/" in tree.dump()  # one edge for the three static segments
    assert winner(tree, "/a/b/c/d") == "GET /a/b/c/d"
    assert winner(tree, "/a/b/c/e") == "GET /a/{x}/c/e"
    assert winner(tree, "/a/b/c/5") == "GET /a/b/c/{y:int}"
    assert winner(tree, "/a/b") is None
    assert winner(tree, "/a/b/c") is None


def test_decoded_slash_stays_one_segment() -> None:
    tree = build(("/a/b", "GET"), ("/a/{name}", "GET"), ("/f/*p", "GET"))
    found = tree.match(["a", "b/c"], "GET")
    assert found is not None
    assert found.params == {"name": "b/c"}
    assert tree.match(["a/b"], "GET") is None
    found = tree.match(["f", "x/y", "z"], "GET")
    assert found is not None
    assert found.params == {"p": "x/y/z"}


def test_trailing_slash_is_its_own_segment() -> None:
    tree = build(("/", "GET"), ("/a", "GET"), ("/b/", "GET"), ("/c/{x}/", "GET"))
    assert winner(tree, "/") == "GET /"
    assert winner(tree, "/a") == "GET /a"
    assert winner(tree, "/a/") is None
    assert winner(tree, "/b/") == "GET /b/"
    assert winner(tree, "/b") is None
    assert winner(tree, "/c/1/") == "GET /c/{x}/"
    assert winner(tree, "/c/1") is None
    assert winner(tree, "//") is None


def test_root_catch_all() -> None:
    tree = build(("/*p", "GET"), ("/api/x", "GET"))
    found = tree.match(segs("/"), "GET")
    assert found is not None and found.params == {"p": ""}
    found = tree.match(segs("/api/y"), "GET")
    assert found is not None and found.params == {"p": "api/y"}
    assert winner(tree, "/api/x") == "GET /api/x"


def test_params_share_nodes_across_names() -> None:
    tree = build(("/u/{id:int}/a", "GET"), ("/u/{uid:int}/b", "GET"))
    assert "{id|uid:int}" in tree.dump()
    first = tree.match(segs("/u/1/a"), "GET")
    second = tree.match(segs("/u/2/b"), "GET")
    assert first is not None and first.params == {"id": 1}
    assert second is not None and second.params == {"uid": 2}


# --- methods ---------------------------------------------------------------------------------


def test_method_mismatch_lists_allowed_methods() -> None:
    tree = build(("/p", ["GET", "POST"]), ("/p/{id:int}", "DELETE"), ("/p/{name}", "PUT"))
    found = tree.match(segs("/p"), "PATCH")
    assert found is not None
    assert found.payload is None
    assert found.allowed == ("GET", "HEAD", "POST")
    assert found.params == {}
    # the union over every route whose path matches
    found = tree.match(segs("/p/5"), "GET")
    assert found is not None and found.payload is None
    assert found.allowed == ("DELETE", "PUT")


def test_method_backtracks_to_a_later_route() -> None:
    tree = build(("/users/new", "GET"), ("/users/{name}", "POST"), ("/users/{id:int}", "PUT"))
    assert winner(tree, "/users/new", "GET") == "GET /users/new"
    assert winner(tree, "/users/new", "POST") == "POST /users/{name}"
    assert winner(tree, "/users/7", "POST") == "POST /users/{name}"
    assert winner(tree, "/users/7", "PUT") == "PUT /users/{id:int}"


def test_head_is_served_by_get() -> None:
    tree = build(("/a", "GET"), ("/b", ["GET"]), ("/b", ["HEAD"]), ("/c", "POST"))
    assert winner(tree, "/a", "HEAD") == "GET /a"
    assert winner(tree, "/b", "HEAD") == "['HEAD'] /b"
    assert winner(tree, "/b", "GET") == "['GET'] /b"
    found = tree.match(segs("/c"), "HEAD")
    assert found is not None and found.payload is None and found.allowed == ("POST",)
    found = tree.match(segs("/a"), "OPTIONS")
    assert found is not None and found.payload is None and found.allowed == ("GET", "HEAD")


def test_star_accepts_any_method() -> None:
    tree = build(("/any", "*"), ("/any/{x:int}", "*"), ("/any/{y}", "GET"))
    for method in ("GET", "POST", "HEAD", "OPTIONS", "BREW"):
        assert winner(tree, "/any", method) == "* /any"
        assert winner(tree, "/any/1", method) == "* /any/{x:int}"
    found = tree.match(segs("/any"), "GET")
    assert found is not None and found.allowed == ("*",)


def test_success_carries_the_leaf_methods() -> None:
    tree = build(("/a", ["POST", "GET"]))
    found = tree.match(segs("/a"), "POST")
    assert found is not None and found.allowed == ("GET", "HEAD", "POST")


def test_same_shape_different_methods_and_names() -> None:
    tree: RouteTree[str] = RouteTree()
    tree.insert("/u/{id:int}", ["GET"], "show", "show")
    tree.insert("/u/{user_id:int}", ["DELETE"], "destroy", "destroy")
    tree.insert("/u/:name", ["POST"], "by-name", "by-name")
    tree.insert("/u/{n}", ["PUT"], "by-n", "by-n")
    tree.freeze()
    show = tree.match(["u", "3"], "GET")
    destroy = tree.match(["u", "3"], "DELETE")
    post = tree.match(["u", "bob"], "POST")
    put = tree.match(["u", "bob"], "PUT")
    assert show is not None and (show.payload, show.params) == ("show", {"id": 3})
    assert destroy is not None and (destroy.payload, destroy.params) == ("destroy", {"user_id": 3})
    assert post is not None and (post.payload, post.params) == ("by-name", {"name": "bob"})
    assert put is not None and (put.payload, put.params) == ("by-n", {"n": "bob"})
    assert "{id|user_id:int}/" in tree.dump()
    assert "{name|n}/" in tree.dump()
    assert tree.routes() == [
        ("/u/{id:int}", frozenset({"GET"}), "show"),
        ("/u/{user_id:int}", frozenset({"DELETE"}), "destroy"),
        ("/u/:name", frozenset({"POST"}), "by-name"),
        ("/u/{n}", frozenset({"PUT"}), "by-n"),
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("/u/{id:int}", ["GET"]), ("/u/{other:int}", ["GET", "POST"])),
        (("/u/:name", ["POST"]), ("/u/{n}", ["POST"])),
        (("/u/{n:str}", ["POST"]), ("/u/{n}", ["POST"])),
        (("/f/*p", ["GET"]), ("/f/{rest:path}", ["GET"])),
        (("/s", ["*"]), ("/s", ["DELETE"])),
        (("/s", ["PATCH"]), ("/s", ["*"])),
        (("/r/{c:[0-9]+}", ["GET"]), ("/r/{d:[0-9]+}", ["GET"])),
    ],
)
def test_ambiguous_routes_name_both(
    first: tuple[str, list[str]], second: tuple[str, list[str]]
) -> None:
    tree: RouteTree[str] = RouteTree()
    tree.insert(first[0], first[1], "one", "First.route")
    with pytest.raises(ConfigurationError) as info:
        tree.insert(second[0], second[1], "two", "Second.route")
    assert "First.route" in str(info.value)
    assert "Second.route" in str(info.value)
    # the failed insert left the tree as it was
    tree.freeze()
    assert [r[2] for r in tree.routes()] == ["one"]
    assert "Second.route" not in tree.dump()


def test_different_converters_are_not_ambiguous() -> None:
    tree = build(("/u/{a:int}", "GET"), ("/u/{b:[0-9]+}", "GET"), ("/u/{c}", "GET"))
    assert len(tree.routes()) == 3


@pytest.mark.parametrize("methods", [[], ["get"], ["GET", "*"], ["G ET"]])
def test_invalid_methods(methods: list[str]) -> None:
    with pytest.raises(ConfigurationError, match=r"Bad\.route"):
        RouteTree[str]().insert("/a", methods, "x", "Bad.route")


def test_a_single_method_string_is_one_method() -> None:
    tree: RouteTree[str] = RouteTree()
    tree.insert("/a", "GET", "x", "x")
    assert tree.routes() == [("/a", frozenset({"GET"}), "x")]


# --- lifecycle -------------------------------------------------------------------------------


def test_insert_after_freeze() -> None:
    tree = build(("/a", "GET"))
    with pytest.raises(
        ConfigurationError, match=r"^routes cannot be added after the app has started$"
    ):
        tree.insert("/b", ["GET"], "b", "b")
    tree.freeze()  # freezing again is harmless
    assert winner(tree, "/a") == "GET /a"
    assert winner(tree, "/b") is None


def test_reading_before_freeze_is_an_error() -> None:
    tree: RouteTree[str] = RouteTree()
    tree.insert("/a", ["GET"], "a", "a")
    assert not tree.frozen
    for call in (
        lambda: tree.match(["a"], "GET"),
        lambda: tree.match(["b", "c"], "GET"),
        lambda: tree.match_case_insensitive(["a"], "GET"),
        lambda: tree.explain(["a"], "GET"),
        tree.shadowed,
        tree.dump,
    ):
        with pytest.raises(RuntimeError, match="freeze"):
            call()
    tree.freeze()
    assert tree.frozen


def test_empty_tree() -> None:
    tree = build()
    assert tree.match([""], "GET") is None
    assert tree.shadowed() == []
    assert tree.routes() == []


def test_match_is_slotted() -> None:
    found = build(("/a", "GET")).match(["a"], "GET")
    assert isinstance(found, Match)
    assert not hasattr(found, "__dict__")
    assert "payload='GET /a'" in repr(found)


# --- case-insensitive ------------------------------------------------------------------------


def test_match_case_insensitive() -> None:
    tree = build(
        ("/About/Team", "GET"),
        ("/Users/{name}", "GET"),
        ("/api/V1/Things", "POST"),
        ("/x", "GET"),
        ("/X", "GET"),
    )
    assert tree.match(segs("/about/team"), "GET") is None
    found = tree.match_case_insensitive(segs("/about/TEAM"), "GET")
    assert found is not None and found.pattern == "/About/Team"
    found = tree.match_case_insensitive(segs("/USERS/Bob"), "GET")
    assert found is not None and found.params == {"name": "Bob"}
    found = tree.match_case_insensitive(segs("/API/v1/THINGS"), "GET")
    assert found is not None and found.payload is None and found.allowed == ("POST",)
    assert tree.match_case_insensitive(segs("/api/v1/other"), "POST") is None
    # the exact spelling wins when two routes differ only in case
    assert (m := tree.match_case_insensitive(segs("/X"), "GET")) and m.pattern == "/X"
    assert (m := tree.match_case_insensitive(segs("/x"), "GET")) and m.pattern == "/x"


# --- explain ---------------------------------------------------------------------------------


def test_explain_trace(users: RouteTree[str]) -> None:
    lines = users.explain(segs("/users/new/posts"), "GET")
    text = "\n".join(lines)
    assert lines[0] == "GET /users/new/posts"
    assert "static /users/new: taken" in text
    assert "static: no child 'posts' under /users/new" in text
    assert "{id:int} on 'new': conversion failed" in text
    assert "{name} = 'new': taken" in text
    assert (
        lines[-1].strip() == "winner: GET /users/{name}/posts /users/{name}/posts {'name': 'new'}"
    )
    # candidates appear in the order they were tried
    order = [text.index(s) for s in ("/users/new: taken", "{id:int} on", "{name} = 'new'")]
    assert order == sorted(order)


def test_explain_method_and_miss() -> None:
    tree = build(("/a", "POST"))
    lines = tree.explain(["a"], "GET")
    assert lines[1].strip() == "static /a: taken"
    assert lines[2].strip() == "/a [POST -> POST /a]: method GET not allowed (allowed: POST)"
    assert lines[-1] == "no route accepts GET; allowed: POST"
    assert tree.explain(["b"], "GET")[-1] == "no route matches the path"
    tree = build(("/a/b/c", "GET"), ("/a/x", "GET"))
    assert "static /a/b/c: path is too short" in "\n".join(tree.explain(["a", "b"], "GET"))
    assert "static /a/b/c: path has 'b/d'" in "\n".join(tree.explain(["a", "b", "d"], "GET"))


# --- a reference model: precedence by sorting, used to check match() and explain() ------------

VOCAB = ["a", "b", "c", "12", "1", "x-y", "", "ab", "A", "b/c"]
PARAM_SPECS = ["{p:int}", "{p:slug}", "{p}", "{p:[a-c]+}", "{p:[0-9]{2}}", "*p"]
METHOD_SETS = [["GET"], ["POST"], ["GET", "POST"], ["*"], ["HEAD"], ["PUT"]]


def _shape_key(segment: Segment) -> Any:
    return segment.static if segment.converter is None else segment.converter.key


class Reference:
    """Precedence by sorting: the tree walk must pick the same route as this brute force."""

    def __init__(self) -> None:
        self.routes: list[tuple[tuple[Segment, ...], frozenset[str], str]] = []
        self.first_seen: dict[tuple[Any, ...], int] = {}

    def add(self, pattern: str, methods: Sequence[str], label: str) -> None:
        parsed = parse_pattern(pattern)
        for i in range(len(parsed)):
            self.first_seen.setdefault(
                tuple(_shape_key(s) for s in parsed[: i + 1]), len(self.routes)
            )
        self.routes.append((parsed, frozenset(methods), label))

    def rank(self, parsed: tuple[Segment, ...]) -> tuple[tuple[int, int], ...]:
        ranks = []
        for i, s in enumerate(parsed):
            if s.converter is None:
                ranks.append((0, 0))
            else:
                order = self.first_seen[tuple(_shape_key(x) for x in parsed[: i + 1])]
                ranks.append((1 + s.converter.weight, order))
        return tuple(ranks)

    @staticmethod
    def fits(parsed: tuple[Segment, ...], path: list[str]) -> dict[str, Any] | None:
        params: dict[str, Any] = {}
        for i, s in enumerate(parsed):
            if s.is_catch_all:
                if i >= len(path):
                    return None
                params[s.name or ""] = "/".join(path[i:])
                return params
            if i >= len(path):
                return None
            if s.converter is None:
                if path[i] != s.static:
                    return None
                continue
            try:
                params[s.name or ""] = s.converter.to_python(path[i])
            except ValueError:
                return None
        return params if len(parsed) == len(path) else None

    def match(self, path: list[str], method: str) -> tuple[str | None, Any, tuple[str, ...]]:
        hits = [(self.rank(p), p, m, lbl) for p, m, lbl in self.routes]
        hits = [h for h in hits if self.fits(h[1], path) is not None]
        hits.sort(key=lambda h: h[0])  # stable: same shape keeps registration order
        allowed: set[str] = set()
        shapes: dict[Any, list[tuple[tuple[Segment, ...], frozenset[str], str]]] = {}
        for _, parsed, methods, label in hits:
            shapes.setdefault(tuple(_shape_key(s) for s in parsed), []).append(
                (parsed, methods, label)
            )
        for group in shapes.values():
            by_method = {m: (p, lbl) for p, ms, lbl in group for m in ms}
            if "GET" in by_method and "HEAD" not in by_method:
                by_method["HEAD"] = by_method["GET"]
            chosen = by_method.get(method, by_method.get("*"))
            if chosen is not None:
                return chosen[1], self.fits(chosen[0], path), ()
            allowed.update(by_method)
        return None, None, tuple(sorted(allowed))


def _random_pattern(rng: random.Random) -> str:
    parts = []
    length = rng.randint(1, 3)
    for i in range(length):
        if rng.random() < 0.5:
            parts.append(rng.choice(["a", "b", "c", "ab", ""]))
        else:
            spec = rng.choice(PARAM_SPECS if i == length - 1 else PARAM_SPECS[:-1])
            parts.append(spec.replace("p", f"p{i}", 1) if spec != "*p" else f"*p{i}")
    return "/" + "/".join(parts)


@pytest.mark.parametrize("seed", range(40))
def test_match_agrees_with_reference_and_explain(seed: int) -> None:
    rng = random.Random(seed)
    tree: RouteTree[str] = RouteTree()
    reference = Reference()
    for n in range(rng.randint(1, 25)):
        pattern = _random_pattern(rng)
        methods = rng.choice(METHOD_SETS)
        label = f"r{n} {pattern} {methods}"
        try:
            tree.insert(pattern, methods, label, label)
        except ConfigurationError:
            continue  # an ambiguous shape: the reference skips it too
        reference.add(pattern, methods, label)
    tree.freeze()
    for _ in range(60):
        path = [rng.choice(VOCAB) for _ in range(rng.randint(1, 4))]
        for method in ("GET", "HEAD", "POST", "DELETE"):
            expected_label, expected_params, expected_allowed = reference.match(path, method)
            found = tree.match(path, method)
            lines = tree.explain(path, method)
            if expected_label is None and not expected_allowed:
                assert found is None, (path, method)
                assert lines[-1] == "no route matches the path"
                continue
            assert found is not None, (path, method)
            assert found.payload == expected_label, (path, method, lines)
            if expected_label is None:
                assert found.allowed == expected_allowed
                assert lines[-1].startswith(f"no route accepts {method}")
            else:
                assert found.params == expected_params
                assert lines[-1].strip().startswith(f"winner: {expected_label} ")
            # the slow walker agrees too when no case folding can change the outcome
            if not _has_case_twin(path):
                assert _fields(tree.match_case_insensitive(path, method)) == _fields(found)


def _has_case_twin(path: list[str]) -> bool:
    return any(seg.casefold() != seg for seg in path)


def _fields(found: Match[Any] | None) -> tuple[Any, ...] | None:
    if found is None:
        return None
    return (found.payload, found.params, found.allowed, found.pattern)


# --- shadowed --------------------------------------------------------------------------------


def test_regex_before_int_shadows_it() -> None:
    tree = build(("/a/{x:[a-z0-9]+}", "GET"), ("/a/{id:int}", "GET"))
    assert tree.shadowed() == [("GET /a/{id:int}", "GET /a/{x:[a-z0-9]+}", "/a/1")]


def test_no_shadow_when_the_narrow_route_comes_first() -> None:
    tree = build(
        ("/a/{id:int}", "GET"),
        ("/a/{x:[a-z0-9]+}", "GET"),
        ("/a/{name}", "GET"),
        ("/a/new", "GET"),
        ("/f/{name}", "GET"),
        ("/f/*rest", "GET"),
        ("/g/{a}/{b}", "GET"),
        ("/g/*rest", "GET"),
    )
    assert tree.shadowed() == []


def test_shadow_reports() -> None:
    tree = build(
        ("/n/{v:float}", "GET"),
        ("/n/{i:int}", "GET"),
        ("/s/{x:.+}", "GET"),
        ("/s/{name}", ["GET", "POST"]),
        ("/m/{y:[0-9]+}", "*"),
        ("/m/{id:int}", "PUT"),
        ("/c/{c:[0-9]+}", "GET"),
        ("/c/{d:[0-9]{2,4}}", "GET"),
        ("/k/{c:[0-9]{3}}", "GET"),
        ("/k/{d:[0-9]{2,4}}", "GET"),  # "00" and "0000" still reach it
    )
    assert sorted(tree.shadowed()) == [
        ("GET /c/{d:[0-9]{2,4}}", "GET /c/{c:[0-9]+}", "/c/00"),
        ("GET /n/{i:int}", "GET /n/{v:float}", "/n/1"),
        ("PUT /m/{id:int}", "* /m/{y:[0-9]+}", "/m/1"),
        ("['GET', 'POST'] /s/{name}", "GET /s/{x:.+}", "/s/x~y"),
    ]


def test_shadow_by_method_only() -> None:
    tree = build(("/s/{x:.+}", "GET"), ("/s/{name}", ["GET", "POST"]))
    # POST still reaches the plain route; GET does not
    assert tree.shadowed() == [("['GET', 'POST'] /s/{name}", "GET /s/{x:.+}", "/s/x~y")]
    assert winner(tree, "/s/anything", "POST") == "['GET', 'POST'] /s/{name}"


# --- dump ------------------------------------------------------------------------------------


def test_dump(users: RouteTree[str]) -> None:
    text = users.dump()
    assert text.splitlines()[0] == "RouteTree: 10 routes, 4 static paths"
    assert "new/" in text and "{id:int}/" in text and "{p:path}" in text
    assert "= GET -> GET /users/{name}/posts" in text
    # dynamic children are listed in the order they are tried
    assert text.index("{id:int}/") < text.index("{name}/")


# --- scale -----------------------------------------------------------------------------------


def test_ten_thousand_routes() -> None:
    tree: RouteTree[int] = RouteTree()
    patterns = []
    for i in range(10_000):
        kind = i % 5
        if kind == 0:
            pattern = f"/api/v1/res{i}"
        elif kind == 1:
            pattern = f"/api/v1/res{i}/{{id:int}}"
        elif kind == 2:
            pattern = f"/api/v1/res{i}/{{id:int}}/items/{{slug:slug}}"
        elif kind == 3:
            pattern = f"/blog/cat{i}/{{name}}"
        else:
            pattern = f"/static{i}/*path"
        tree.insert(pattern, ["GET"], i, pattern)
        patterns.append(pattern)
    tree.freeze()
    for i, pattern in enumerate(patterns):
        path = re.sub(r"\{id:int\}", "7", pattern)
        path = path.replace("{slug:slug}", "s-1").replace("{name}", "post").replace("*path", "a/b")
        found = tree.match(segs(path), "GET")
        assert found is not None and found.payload == i, path
    assert tree.match(segs("/api/v1/res1/x"), "GET") is None
    assert tree.match(segs("/api/v1/res0"), "POST") is not None
    assert tree.shadowed() == []
