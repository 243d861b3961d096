"""MethodOverride: a POST with ``_method`` is routed as PUT, PATCH or DELETE."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mvcpy.filters.method_override import MethodOverride
from mvcpy.sessions.csrf import CSRFProtect
from mvcpy.testing import TestClient
from mvcpy.types import Message


async def _echo(ctx: Any) -> dict[str, Any]:
    form = await ctx.request.form()
    return {"method": ctx.request.method, "form": {k: str(form[k]) for k in form}}


def build(make_app: Any, **options: Any) -> Any:
    app = make_app()
    app.add_middleware(MethodOverride, **options)
    app.post("/items", _echo)
    app.put("/items", _echo)
    app.delete("/items", _echo)
    return app


@pytest.mark.parametrize("method", ["PUT", "put", "DELETE", "Patch"])
def test_the_hidden_field_routes_a_post_as_its_method(make_app: Any, method: str) -> None:
    app = build(make_app)
    app.patch("/items", _echo)
    with TestClient(app) as client:
        answer = client.post("/items", data={"_method": method, "title": "tea"})
    assert answer.status_code == 200
    # The handler sees the overridden method and the whole body, replayed.
    assert answer.json() == {"method": method.upper(), "form": {"_method": method, "title": "tea"}}


def test_the_query_string_works_for_multipart_forms(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        answer = client.post(
            "/items?_method=PUT", data={"title": "tea"}, files={"doc": ("a.txt", b"x")}
        )
    assert answer.json()["method"] == "PUT"
    assert answer.json()["form"]["title"] == "tea"


@pytest.mark.parametrize("value", ["POST", "post", ""])
def test_post_and_an_empty_field_leave_the_post_alone(make_app: Any, value: str) -> None:
    with TestClient(build(make_app)) as client:
        answer = client.post("/items", data={"_method": value})
    assert answer.json()["method"] == "POST"


@pytest.mark.parametrize(
    ("query", "body", "shown"),
    [("", b"_method=GET", "'GET'"), ("", b"_method=CONNECT", "'CONNECT'"),
     ("", b"_method=DELETE%3Bx", "'DELETE;x'"), ("?_method=TRACE", b"", "'TRACE'"),
     ("?_method=%ff", b"", "'\\\\xff'"), ("", b"title=t&_method=%ff%fe", "'\\\\xff\\\\xfe'")],
)  # fmt: skip
def test_any_other_method_is_a_400_answered_by_the_app(
    make_app: Any, query: str, body: bytes, shown: str
) -> None:
    app = build(make_app)
    seen: list[int] = []

    @app.error_handler(400)
    def bad_request(ctx: Any, error: Any) -> Any:
        seen.append(error.status)  # the app's own error handling answers it
        return {"refused": error.message}, 400

    with TestClient(app) as client:
        answer = client.post(
            "/items" + query,
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 400 and seen == [400]
    assert answer.json() == {"refused": f"_method must be PUT, PATCH or DELETE, not {shown}"}


def test_bad_bytes_in_other_fields_do_not_stop_the_override(make_app: Any) -> None:
    app = build(make_app)
    app.put("/raw", lambda ctx: {"method": ctx.request.method})
    with TestClient(app) as client:
        answer = client.post(
            "/raw",
            content=b"_method=PUT&title=%ff",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200 and answer.json() == {"method": "PUT"}
        # An action that reads the form gets the app's answer to its bytes: a 4xx.
        read = client.post(
            "/items",
            content=b"_method=PUT&title=%ff",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert read.status_code == 400, read.text


def test_a_body_declared_over_the_limit_is_not_waited_for() -> None:
    """A request that declares a 10 GB body reaches the app at once (its limit answers
    413), instead of the override waiting to read it."""
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["method"])

    async def never() -> Message:
        await asyncio.sleep(3600)
        raise AssertionError("the body was read")

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    scope = {
        "type": "http",
        "method": "POST",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"10000000000"),
        ],
    }
    asyncio.run(asyncio.wait_for(MethodOverride(app)(scope, never, send), timeout=5))
    assert reached == ["POST"]


def test_other_methods_and_json_bodies_are_left_alone(make_app: Any) -> None:
    with TestClient(build(make_app)) as client:
        # A GET link can never become a DELETE.
        assert client.get("/items?_method=DELETE").status_code == 405
        answer = client.post("/items", json={"_method": "DELETE"})
        assert answer.json()["method"] == "POST"


def test_a_body_over_the_limit_is_passed_on_untouched(make_app: Any) -> None:
    with TestClient(build(make_app, max_body_size=50)) as client:
        answer = client.post("/items", data={"_method": "DELETE", "text": "x" * 100})
    assert answer.json() == {"method": "POST", "form": {"_method": "DELETE", "text": "x" * 100}}


def test_an_overridden_request_still_needs_the_csrf_token(make_app: Any, views: Any) -> None:
    views("form.html", "{{ csrf_input() }}")
    app = build(make_app)
    app.use(CSRFProtect())
    app.get("/form", lambda ctx: ctx.app.templates.render("form.html", {}, ctx))
    with TestClient(app) as client:
        token = client.get("/form").text.split('value="')[1].split('"')[0]
        refused = client.post("/items", data={"_method": "DELETE"})
        assert refused.status_code == 403
        allowed = client.post("/items", data={"_method": "DELETE", "csrf_token": token})
        assert allowed.json()["method"] == "DELETE"


def test_a_body_in_several_chunks_is_read_and_replayed_in_order() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["method"] = scope["method"]
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        seen["body"] = b"".join(chunks)
        seen["after"] = await receive()

    parts: list[Message] = [
        {"type": "http.request", "body": b"title=tea&_me", "more_body": True},
        {"type": "http.request", "body": b"thod=DELETE", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return parts.pop(0)

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    scope = {
        "type": "http",
        "method": "POST",
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded; charset=utf-8")],
    }
    asyncio.run(MethodOverride(app)(scope, receive, send))
    assert seen == {
        "method": "DELETE",
        "body": b"title=tea&_method=DELETE",
        "after": {"type": "http.disconnect"},
    }
    assert scope["method"] == "POST"  # the server's scope is not changed
