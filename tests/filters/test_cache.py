import uuid
from typing import Any

import pytest

from mvcpy import JSONResponse, StreamingResponse
from mvcpy.cache import Cache, MemoryBackend
from mvcpy.cache.redis import RedisBackend
from mvcpy.filters.cache import ResponseCache
from mvcpy.filters.request_id import RequestID
from mvcpy.testing import TestClient


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def build(make_app: Any, cache: ResponseCache) -> tuple[Any, list[str]]:
    calls: list[str] = []

    def counted(name: str, result: Any) -> Any:
        def action(ctx: Any) -> Any:
            calls.append(name)
            return result(ctx) if callable(result) else result

        return action

    def with_cookie(ctx: Any) -> Any:
        response = JSONResponse({"n": len(calls)})
        response.set_cookie("seen", "1")
        return response

    app = make_app()
    app.use(RequestID())
    app.use(cache)
    app.get(
        "/items", counted("items", lambda ctx: {"n": len(calls), "q": ctx.request.query_string})
    )
    app.post("/items", counted("post", {"created": True}))
    app.get("/cookie", counted("cookie", with_cookie))
    app.get(
        "/private",
        counted("private", lambda ctx: JSONResponse({}, headers={"cache-control": "private"})),
    )
    app.get("/missing", counted("missing", lambda ctx: JSONResponse({}, 404)))
    app.get("/stream", counted("stream", lambda ctx: StreamingResponse(iter([b"a", b"b"]))))
    return app, calls


def test_repeated_gets_are_served_from_the_cache_until_the_ttl(make_app: Any) -> None:
    clock = Clock()
    app, calls = build(make_app, ResponseCache(30, cache=Cache(MemoryBackend(clock=clock))))
    with TestClient(app) as client:
        first = client.get("/items?page=1")
        second = client.get("/items?page=1")
        other_query = client.get("/items?page=2")
        other_accept = client.get("/items?page=1", headers={"accept": "text/html"})
        clock.now += 31
        expired = client.get("/items?page=1")
    assert first.headers["x-cache"] == "MISS" and second.headers["x-cache"] == "HIT"
    assert second.json() == first.json() and "age" in second.headers
    assert second.headers["x-request-id"] != first.headers["x-request-id"]  # outer filter runs
    assert other_query.headers["x-cache"] == "MISS" and other_accept.headers["x-cache"] == "MISS"
    assert expired.headers["x-cache"] == "MISS"
    assert calls == ["items", "items", "items", "items"]


@pytest.mark.parametrize("path", ["/cookie", "/private", "/missing", "/stream"])
def test_uncacheable_responses_are_never_stored(make_app: Any, path: str) -> None:
    app, calls = build(make_app, ResponseCache(30))
    with TestClient(app) as client:
        client.get(path)
        assert client.get(path).headers["x-cache"] == "MISS"
    assert len(calls) == 2


def test_request_cache_control_and_other_methods(make_app: Any) -> None:
    app, calls = build(make_app, ResponseCache(30))
    with TestClient(app) as client:
        client.get("/items")
        assert (
            client.get("/items", headers={"cache-control": "no-store"}).headers.get("x-cache")
            is None
        )
        refreshed = client.get("/items", headers={"cache-control": "no-cache"})
        assert refreshed.headers["x-cache"] == "MISS"
        assert client.get("/items").json() == refreshed.json()
        assert client.post("/items").json() == {"created": True}
        assert client.post("/items").json() == {"created": True}
    assert calls == ["items", "items", "items", "post", "post"]


def test_entries_live_in_the_apps_cache(make_app: Any) -> None:
    app, calls = build(make_app, ResponseCache(30))
    with TestClient(app) as client:
        client.get("/items?page=1")
        assert client.get("/items?page=1").headers["x-cache"] == "HIT"
        # One cache in the framework: the filter's entries are the app's cache's.
        keys = [key for key in app.cache.backend._entries if "response:/items" in key]
        assert len(keys) == 1
        app.cache.delete(keys[0][len(app.cache.prefix) + len("v:") :])  # values live under "v:"
        assert client.get("/items?page=1").headers["x-cache"] == "MISS"
    assert calls == ["items", "items"]


def test_redis_cache_is_shared_between_apps(make_app: Any, redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    first, first_calls = build(
        make_app, ResponseCache(30, cache=Cache(RedisBackend(redis_url), prefix=prefix))
    )
    second, second_calls = build(
        make_app, ResponseCache(30, cache=Cache(RedisBackend(redis_url), prefix=prefix))
    )
    with TestClient(first) as client:
        stored = client.get("/items?x=1")
    with TestClient(second) as client:
        hit = client.get("/items?x=1")
    assert stored.headers["x-cache"] == "MISS" and hit.headers["x-cache"] == "HIT"
    assert hit.json() == stored.json() and hit.headers["content-type"] == "application/json"
    assert first_calls == ["items"] and second_calls == []
