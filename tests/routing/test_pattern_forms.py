"""Route patterns beyond one parameter per segment: text and parameters in one segment,
optional trailing parameters, a catch-all followed by static segments; matched by the
radix tree with its precedence, explained by ``routes --explain``, reversed by url_for."""

from __future__ import annotations

import random
from typing import Any

import pytest

from mvcpy import App
from mvcpy.errors import ConfigurationError
from mvcpy.routing import URLBuildError
from mvcpy.routing.tree import RouteTree
from mvcpy.testing import TestClient


def _app() -> App:
    app = App(env="test")

    def echo(ctx: Any, **params: Any) -> dict[str, Any]:
        return {"route": ctx.route_name, **params}

    for path, name, methods in [
        ("/files/{name}.{ext}", "file", ["GET"]),
        ("/items/{id:int}:publish", "publish", ["POST"]),
        ("/@{user}", "profile", ["GET"]),
        ("/v{major:int}.{minor:int}/status", "status", ["GET"]),
        ("/archive/{year:int}/{month:int?}/{day:int?}", "archive", ["GET"]),
        ("/repos/{path:path}/edit", "edit", ["GET", "POST"]),
        ("/repos/{path:path}/blob/raw", "raw", ["GET"]),
        ("/repos/{path:path}", "repo", ["GET"]),
        ("/users/{id:int}.json", "user_json", ["GET"]),
        ("/users/{id:int}", "user", ["GET"]),
        ("/tags/{tag:[a-z]+}-{page:int}", "tag_page", ["GET"]),
    ]:
        app.route(path, _named(echo, path), methods=methods, name=name)
    return app


def _named(fn: Any, path: str) -> Any:
    """A handler taking exactly the pattern's parameters (function handlers bind by name)."""
    import re

    names = re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)", path)
    args = ", ".join(f"{n}=None" for n in names)
    source = (
        f"def handler(ctx, {args}):\n    return fn(ctx, {', '.join(f'{n}={n}' for n in names)})\n"
    )
    namespace: dict[str, Any] = {"fn": fn}
    exec(source, namespace)
    return namespace["handler"]


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        (
            "GET",
            "/files/archive.tar.gz",
            200,
            {"route": "file", "name": "archive.tar", "ext": "gz"},
        ),
        ("GET", "/files/noext", 404, None),
        ("POST", "/items/5:publish", 200, {"route": "publish", "id": 5}),
        ("POST", "/items/five:publish", 404, None),
        ("GET", "/@ada", 200, {"route": "profile", "user": "ada"}),
        ("GET", "/v2.10/status", 200, {"route": "status", "major": 2, "minor": 10}),
        ("GET", "/v2.x/status", 404, None),
        (
            "GET",
            "/archive/2024",
            200,
            {"route": "archive", "year": 2024, "month": None, "day": None},
        ),
        (
            "GET",
            "/archive/2024/5",
            200,
            {"route": "archive", "year": 2024, "month": 5, "day": None},
        ),
        (
            "GET",
            "/archive/2024/5/17",
            200,
            {"route": "archive", "year": 2024, "month": 5, "day": 17},
        ),
        ("GET", "/archive/2024/may", 404, None),
        ("GET", "/repos/a/b/edit", 200, {"route": "edit", "path": "a/b"}),
        ("POST", "/repos/a/b/edit", 200, {"route": "edit", "path": "a/b"}),
        ("GET", "/repos/a/b/blob/raw", 200, {"route": "raw", "path": "a/b"}),
        ("GET", "/repos/a/blob", 200, {"route": "repo", "path": "a/blob"}),
        ("GET", "/repos/edit", 200, {"route": "repo", "path": "edit"}),  # the rest is empty
        ("DELETE", "/repos/a/edit", 405, None),
        ("GET", "/users/7.json", 200, {"route": "user_json", "id": 7}),
        ("GET", "/users/7", 200, {"route": "user", "id": 7}),
        ("GET", "/tags/news-3", 200, {"route": "tag_page", "tag": "news", "page": 3}),
        ("GET", "/tags/News-3", 404, None),
    ],
)
def test_pattern_forms_match(method: str, path: str, status: int, body: Any) -> None:
    with TestClient(_app()) as client:
        answer = client.request(method, path)
    assert answer.status_code == status, answer.text
    if body is not None:
        assert answer.json() == body
    if status == 405:
        assert answer.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_reverse_urls_for_every_form() -> None:
    app = _app()
    assert app.url_for("file", name="a b", ext="txt") == "/files/a%20b.txt"
    assert app.url_for("publish", id=5) == "/items/5:publish"
    assert app.url_for("profile", user="ada") == "/@ada"
    assert app.url_for("status", major=1, minor=2) == "/v1.2/status"
    assert app.url_for("archive", year=2024) == "/archive/2024"
    assert app.url_for("archive", year=2024, month=5) == "/archive/2024/5"
    assert app.url_for("archive", year=2024, month=5, day=1) == "/archive/2024/5/1"
    assert app.url_for("edit", path="a/b") == "/repos/a/b/edit"
    assert app.url_for("user_json", id=3, page=2) == "/users/3.json?page=2"
    assert app.url_for("tag_page", tag="news", page=2) == "/tags/news-2"
    with pytest.raises(URLBuildError, match="missing parameter"):
        app.url_for("file", name="a")
    with pytest.raises(URLBuildError, match="missing parameter"):
        app.url_for("archive", month=5)
    with pytest.raises(URLBuildError, match="does not fit"):
        app.url_for("tag_page", tag="News", page=1)


def test_explain_says_which_form_won_and_why_others_lost() -> None:
    app = _app()
    app.start()
    tree = app.route_table._default.tree
    trace = "\n".join(tree.explain(["repos", "a", "b", "edit"], "GET"))
    assert "catch-all {path:path}/blob/raw: the path does not end so" in trace
    assert "catch-all {path:path}/edit = 'a/b'" in trace
    assert trace.endswith("{'path': 'a/b'}")
    trace = "\n".join(tree.explain(["files", "noext"], "GET"))
    assert "{name}.{ext} on 'noext': conversion failed" in trace
    assert tree.shadowed() == []


def test_optional_parameters_collide_like_any_other_shape() -> None:
    tree: RouteTree[str] = RouteTree()
    tree.insert("/archive/{year:int}/{month:int?}", ["GET"], "a", "archive")
    with pytest.raises(ConfigurationError, match="ambiguous routes"):
        tree.insert("/archive/{y:int}", ["GET"], "b", "year")  # the short form's shape
    tree.insert("/archive/{y:int}", ["POST"], "c", "post a year")  # another method is fine


@pytest.mark.parametrize("seed", range(20))
def test_the_fast_and_the_traced_walk_agree(seed: int) -> None:
    """match() (the hot path) and the traced walk behind --explain try the candidates in
    the same order, for trees mixing every pattern form."""
    rng = random.Random(seed)
    forms = [
        "/{a}.{b}", "/{a:int}.json", "/x{a:int}", "/{a}", "/{a:int}", "/x", "/*rest",
        "/{p:path}/edit", "/{p:path}/x/edit", "/{a:int}/{b:int?}", "/x/{a}:go", "/x/{a?}",
    ]  # fmt: skip
    tree: RouteTree[str] = RouteTree()
    for n in range(rng.randint(2, 8)):
        pattern = "/" + "/".join(rng.choice(forms)[1:] for _ in range(rng.randint(1, 2)))
        methods = rng.choice([["GET"], ["POST"], ["GET", "POST"]])
        try:
            tree.insert(pattern, methods, f"r{n} {pattern}", f"r{n} {pattern}")
        except ConfigurationError:
            continue  # repeated names, a catch-all in the middle, an ambiguous shape
    tree.freeze()
    vocab = ["x", "edit", "go", "1", "2.json", "a.b", "x1", "7:go", "y", "json"]
    for _ in range(60):
        path = [rng.choice(vocab) for _ in range(rng.randint(1, 4))]
        for method in ("GET", "POST", "PUT"):
            fast = tree.match(path, method)
            slow = tree.match_case_insensitive(path, method)  # the traced walker
            key = (path, method)
            if fast is None:
                assert slow is None, key
                continue
            assert slow is not None, key
            assert (fast.payload, fast.params, fast.allowed) == (
                slow.payload,
                slow.params,
                slow.allowed,
            ), key
