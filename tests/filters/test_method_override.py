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


@pytest.mark.parametrize("value", ["GET", "POST", "CONNECT", "", "DELETE;x"])
def test_only_put_patch_and_delete_are_accepted(make_app: Any, value: str) -> None:
    with TestClient(build(make_app)) as client:
        answer = client.post("/items", data={"_method": value})
    assert answer.json()["method"] == "POST"


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
