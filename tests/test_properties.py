"""Property-based tests (Hypothesis): whatever a client sends, the app answers below 500
and no exception escapes; every URL ``url_for`` builds routes back to its route.

The router, URL building, the urlencoded and multipart parsers and the binding layer
are fed generated input through ASGI, the way a server hands a request over: the path
as raw bytes and percent-decoded, the query and body as bytes. Each property runs a
bounded number of examples (no deadline: a loaded CI machine must not fail them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from mvcpy import App, Controller
from tests.raw_asgi import send_raw

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Bytes a request target may carry on the wire (RFC 3986 characters; %, / and . twice,
#: for more escapes, segments and dot segments).
_TARGET_BYTES = st.sampled_from(list(b"abcdefxyzABFZ0189-._~!$&'()*+,;=:@/?%%//.."))


class Signup(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    age: int = Field(ge=0, le=150)
    tags: list[str] = []
    score: float | None = None


class Items(Controller):
    def show(self, id: int) -> dict[str, Any]:
        return {"id": id}

    def create(self, form: Signup) -> dict[str, Any]:
        return form.model_dump()

    async def upload(self) -> dict[str, Any]:
        form = await self.request.form()
        return {"fields": len(list(form.multi_items()))}

    def search(self, q: str = "", page: int = 1, tags: list[str] | None = None) -> dict[str, Any]:
        return {"q": q, "page": page, "tags": tags or []}


def _params(ctx: Any) -> dict[str, Any]:
    return {"route": ctx.route_name, "params": {k: str(v) for k, v in ctx.params.items()}}


@pytest.fixture(scope="module")
def app() -> App:
    import tempfile

    app = App(root_path=tempfile.mkdtemp(), env="test")
    app.router("/items/{id:int}", Items, "get:show", name="items.show")
    app.router("/items", Items, "post:create", name="items.create")
    app.router("/upload", Items, "post:upload", name="upload")
    app.router("/search", Items, "get:search", name="search")
    app.get("/files/{name}.{ext}", _params, name="file")
    app.get("/repos/{path:path}/edit", _params, name="repo.edit")
    app.get("/@{user}", _params, name="profile")
    app.get("/archive/{year:int}/{month:int?}", _params, name="archive")
    app.get("/tags/{slug:slug}", _params, name="tag")
    app.start()
    return app


def call(
    app: App, method: str, raw_path: bytes, query: bytes = b"", body: bytes = b"",
    content_type: bytes | None = None,
) -> tuple[int, bytes]:  # fmt: skip
    """Send one request through ASGI as a server would; return (status, body)."""
    headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    return send_raw(app, method, raw_path, headers, query=query, body=body)


@EXAMPLES
@given(path=st.lists(_TARGET_BYTES, max_size=60).map(bytes))
def test_any_path_is_answered_below_500(app: App, path: bytes) -> None:
    raw = b"/" + path.split(b"?")[0]
    for method in ("GET", "POST", "DELETE"):
        status, _ = call(app, method, raw)
        assert status < 500, (method, raw)


_SEGMENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12
)


@EXAMPLES
@given(
    name=_SEGMENT,
    ext=_SEGMENT.filter(lambda s: "." not in s),
    path=st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join),
    user=_SEGMENT,
    year=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    month=st.none() | st.integers(min_value=0, max_value=2**31),
    item=st.integers(min_value=0, max_value=2**63 - 1),
)
def test_every_url_that_url_for_builds_routes_back_to_its_route(
    app: App, name: str, ext: str, path: str, user: str, year: int, month: int | None, item: int
) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("file", {"name": name, "ext": ext}),
        ("repo.edit", {"path": path}),
        ("profile", {"user": user}),
        ("archive", {"year": year} if month is None else {"year": year, "month": month}),
    ]
    for route, params in cases:
        try:
            url = app.url_for(route, **params)
        except Exception:  # a value its converter refuses is refused when building
            continue
        status, body = call(app, "GET", url.encode("ascii"))
        assert status == 200, (route, params, url, body)
        answer = json.loads(body)
        assert answer["route"] == route, (url, answer)
        assert answer["params"] == {k: str(v) for k, v in params.items()}, (url, answer)
    status, body = call(app, "GET", app.url_for("items.show", id=item).encode())
    assert status == 200 and json.loads(body) == {"id": item}


@EXAMPLES
@given(query=st.binary(max_size=200), body=st.binary(max_size=400))
def test_any_query_and_urlencoded_body_is_answered_below_500(
    app: App, query: bytes, body: bytes
) -> None:
    status, _ = call(app, "GET", b"/search", query=query)
    assert status < 500
    form = b"application/x-www-form-urlencoded"
    status, _ = call(app, "POST", b"/items", body=body, content_type=form)
    assert status < 500
    status, _ = call(app, "POST", b"/upload", body=body, content_type=form)
    assert status < 500


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    )


@EXAMPLES
@given(
    value=_json_values()
    | st.fixed_dictionaries(
        {"name": _json_values(), "age": _json_values()},
        optional={"tags": _json_values(), "score": _json_values()},
    ),
    raw=st.binary(max_size=100),
)
def test_any_json_body_is_bound_or_refused_below_500(app: App, value: Any, raw: bytes) -> None:
    body = json.dumps(value, allow_nan=True).encode()
    for payload in (body, raw):
        json_type = b"application/json"
        status, answer = call(app, "POST", b"/items", body=payload, content_type=json_type)
        assert status in (200, 400, 422), (payload, status, answer)


@EXAMPLES
@given(
    boundary=st.binary(min_size=0, max_size=90),
    parts=st.lists(st.binary(max_size=80), max_size=4),
    tail=st.binary(max_size=40),
)
def test_any_multipart_body_is_answered_below_500(
    app: App, boundary: bytes, parts: list[bytes], tail: bytes
) -> None:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + tail
    content_type = b"multipart/form-data; boundary=" + boundary
    for path in (b"/upload", b"/items"):
        status, _ = call(app, "POST", path, body=body, content_type=content_type)
        assert status < 500, (path, content_type, body)
