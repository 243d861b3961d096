"""The cache API on each backend: memory and Redis (the shared one), sync and async forms."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from mvcpy.cache import Cache, MemoryBackend, NullBackend, cached


class Point(BaseModel):
    x: int
    y: int


def run(cache: Cache, scenario: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``scenario`` on a new event loop, closing the cache's connections on that loop."""

    async def within() -> Any:
        try:
            return await scenario()
        finally:
            await cache.aclose()

    return asyncio.run(within())


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    """A cache on the backend under test, with a private key prefix."""
    prefix = f"mvcpytest:{uuid.uuid4().hex}:"
    if request.param == "memory":
        yield Cache(MemoryBackend(100), prefix=prefix)
        return
    from mvcpy.cache.redis import RedisBackend

    store = Cache(RedisBackend(request.getfixturevalue("redis_url")), prefix=prefix)
    yield store
    store.backend.close()


def test_values_round_trip_as_json_or_bytes(cache: Cache) -> None:
    assert cache.get("absent") is None
    assert cache.get("absent", "fallback") == "fallback"
    values: dict[str, Any] = {
        "dict": {"a": [1, 2.5, None, True], "b": "é"},
        "list": [1, "two"],
        "str": "text",
        "int": 7,
        "bytes": b"\x00\x01raw",
        "falsy": 0,
    }
    for key, value in values.items():
        cache.set(key, value)
    assert {key: cache.get(key) for key in values} == values
    cache.set("model", Point(x=1, y=2))
    assert cache.get("model") == {"x": 1, "y": 2}  # pydantic models are stored as their JSON
    with pytest.raises(TypeError, match="JSON values and bytes"):
        cache.set("object", object())
    with pytest.raises(TypeError, match="non-empty string"):
        cache.get("")
    cache.delete("str")
    assert cache.get("str") is None


def test_many_add_and_incr(cache: Cache) -> None:
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    cache.delete_many(["a", "b"])
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("once", "first") is True
    assert cache.add("once", "second") is False
    assert cache.get("once") == "first"
    assert cache.incr("hits") == 1  # counting from 0
    assert cache.incr("hits", 5) == 6
    cache.set("n", 10)
    assert cache.incr("n") == 11 and cache.get("n") == 11


def test_ttl(cache: Cache) -> None:
    cache.set("short", "v", ttl=0.2)
    cache.set("forever", "v", ttl=None)
    cache.set("never", "v", ttl=0)  # not stored, as in Django
    assert cache.get("short") == "v" and cache.get("forever") == "v"
    assert cache.get("never") is None
    time.sleep(0.3)
    assert cache.get("short") is None
    assert cache.get("forever") == "v"


def test_tags_invalidate_groups(cache: Cache) -> None:
    cache.set("post:1", {"title": "a"}, tags=["posts"])
    cache.set("post:2", {"title": "b"}, tags=["posts", "front"])
    cache.set("user:1", {"name": "ann"}, tags=["users"])
    cache.set("plain", "untagged")
    assert cache.get("post:1") == {"title": "a"}
    cache.invalidate_tags("posts")
    assert cache.get("post:1") is None and cache.get("post:2") is None
    assert cache.get("user:1") == {"name": "ann"} and cache.get("plain") == "untagged"
    cache.set("post:1", {"title": "a2"}, tags=["posts"])  # stored after: valid again
    assert cache.get_many(["post:1", "post:2"]) == {"post:1": {"title": "a2"}}


def test_async_forms_see_the_same_values(cache: Cache) -> None:
    async def scenario() -> None:
        await cache.aset("k", {"v": 1}, tags=["t"])
        assert cache.get("k") == {"v": 1}  # written async, read sync
        assert await cache.aget("k") == {"v": 1}
        assert await cache.aadd("k", 2) is False
        assert await cache.aincr("count", 3) == 3
        await cache.aset_many({"x": 1, "y": 2})
        assert await cache.aget_many(["x", "y", "z"]) == {"x": 1, "y": 2}
        await cache.ainvalidate_tags("t")
        assert await cache.aget("k") is None
        await cache.adelete("x")
        await cache.adelete_many(["y"])
        assert await cache.aget_many(["x", "y"]) == {}

    run(cache, scenario)


def test_get_or_set_computes_once_for_concurrent_threads(cache: Cache) -> None:
    calls: list[int] = []

    def slow() -> dict[str, int]:
        calls.append(1)
        time.sleep(0.2)
        return {"answer": 42}

    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_set("cold", slow)))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [{"answer": 42}] * 20
    assert len(calls) == 1
    assert cache.get_or_set("cold", slow) == {"answer": 42} and len(calls) == 1


def test_a_stampede_of_200_coroutines_computes_once(cache: Cache) -> None:
    calls: list[int] = []

    async def slow() -> str:
        calls.append(1)
        await asyncio.sleep(0.1)
        return "page"

    async def stampede() -> list[Any]:
        return await asyncio.gather(*(cache.aget_or_set("cold", slow) for _ in range(200)))

    assert run(cache, stampede) == ["page"] * 200
    assert len(calls) == 1


def test_a_failed_computation_reaches_every_waiter_and_is_not_stored(cache: Cache) -> None:
    async def broken() -> str:
        await asyncio.sleep(0.05)
        raise RuntimeError("upstream down")

    async def stampede() -> list[Any]:
        return await asyncio.gather(
            *(cache.aget_or_set("flaky", broken) for _ in range(10)), return_exceptions=True
        )

    results = run(cache, stampede)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert cache.get("flaky") is None
    assert cache.get_or_set("flaky", lambda: "recovered") == "recovered"


def test_workers_sharing_redis_compute_once(redis_url: str) -> None:
    from mvcpy.cache.redis import RedisBackend

    prefix = f"mvcpytest:{uuid.uuid4().hex}:"
    # Two caches with their own in-process state, as two gunicorn workers have.
    first = Cache(RedisBackend(redis_url), prefix=prefix)
    second = Cache(RedisBackend(redis_url), prefix=prefix)
    calls: list[str] = []

    async def compute(worker: str) -> str:
        calls.append(worker)
        await asyncio.sleep(0.3)
        return f"computed by {worker}"

    async def both() -> list[Any]:
        try:
            return await asyncio.gather(
                first.aget_or_set("shared", lambda: compute("first")),
                second.aget_or_set("shared", lambda: compute("second")),
            )
        finally:
            await first.aclose()
            await second.aclose()

    results = asyncio.run(both())
    assert len(calls) == 1
    assert results == [f"computed by {calls[0]}"] * 2


def test_the_null_backend_stores_nothing() -> None:
    cache = Cache(NullBackend())
    cache.set("k", "v")
    assert cache.get("k") is None
    calls: list[int] = []
    assert cache.get_or_set("k", lambda: calls.append(1) or "v") == "v"
    assert cache.get_or_set("k", lambda: calls.append(1) or "v") == "v"
    assert len(calls) == 2


def test_the_memory_backend_evicts_the_least_recently_used() -> None:
    cache = Cache(MemoryBackend(max_entries=3))
    for key in "abc":
        cache.set(key, key)
    assert cache.get("a") == "a"  # a is now the most recently used
    cache.set("d", "d")
    assert cache.get_many(["a", "b", "c", "d"]) == {"a": "a", "c": "c", "d": "d"}


def test_cached_functions(cache: Cache) -> None:
    calls: list[tuple[int, int]] = []

    @cache.cached(ttl=60)
    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    @cached(cache=cache, key=lambda user_id: f"profile:{user_id}", tags=["profiles"])
    async def profile(user_id: int) -> dict[str, int]:
        calls.append((user_id, 0))
        return {"id": user_id}

    assert add(1, 2) == 3 and add(1, 2) == 3 and add(2, 2) == 4
    assert calls == [(1, 2), (2, 2)]

    async def twice() -> list[Any]:
        return [await profile(7), await profile(7)]

    assert run(cache, twice) == [{"id": 7}, {"id": 7}]
    assert cache.get("profile:7") == {"id": 7}
    cache.invalidate_tags("profiles")
    run(cache, lambda: profile(7))
    assert calls.count((7, 0)) == 2


def test_keys_named_like_tags_or_locks_are_plain_keys(cache: Cache) -> None:
    """A user's "tag:news" or "page:lock" never overwrites a tag's version or a lock."""
    cache.set("story", "v1", tags=["news"])
    cache.set("tag:news", "a user's value")
    cache.set("t:news", "another")
    assert cache.get("story") == "v1"  # its tag's version is untouched
    cache.invalidate_tags("news")
    assert cache.get("story") is None
    assert cache.get("tag:news") == "a user's value" and cache.get("t:news") == "another"
    cache.set("page:lock", "mine")
    assert cache.get_or_set("page", lambda: "computed") == "computed"
    assert cache.get("page:lock") == "mine"
