import asyncio
import uuid
from typing import Any

import pytest

from mvcpy.filters.ratelimit import MemoryBackend, RateLimit, parse_rate
from mvcpy.testing import TestClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rates_parse() -> None:
    assert parse_rate("100/minute") == (100, 60.0)
    assert parse_rate("5/s") == (5, 1.0)
    assert parse_rate("1000 per hour") == (1000, 3600.0)
    assert parse_rate("10/30s") == (10, 30.0)
    assert parse_rate("2/days") == (2, 86400.0)
    for bad in ("100", "0/minute", "5/fortnight", "x/s"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_bucket_allows_the_budget_then_429_with_headers_and_refills(make_app: Any) -> None:
    clock = Clock()
    app = make_app()
    app.get(
        "/", lambda ctx: {}, filters=[RateLimit("3/minute", backend=MemoryBackend(clock=clock))]
    )
    with TestClient(app) as client:
        answers = [client.get("/") for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
        assert answers[0].headers["ratelimit-limit"] == "3"
        assert answers[2].headers["ratelimit-reset"] == "60"
        limited = answers[3]
        assert limited.headers["retry-after"] == "20"
        assert limited.json()["error"]["status"] == 429
        clock.now += 20  # one token back
        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 429
        clock.now += 600  # full again, never above the burst
        assert [client.get("/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_keys_separate_budgets(make_app: Any) -> None:
    clock = Clock()
    backend = MemoryBackend(clock=clock)

    async def login(ctx: Any, call_next: Any) -> Any:
        if "x-user" in ctx.request.headers:
            ctx.state.user = ctx.request.headers["x-user"]
        return await call_next(ctx)

    app = make_app()
    app.use(login)
    api = app.namespace("/api", filters=[RateLimit("1/minute", key="api_key", backend=backend)])
    api.get("/a", lambda ctx: {})
    api.get("/b", lambda ctx: {})
    app.get("/me", lambda ctx: {}, filters=[RateLimit("1/minute", key="user", backend=backend)])
    app.get(
        "/tenant",
        lambda ctx: {},
        filters=[RateLimit("1/hour", key=lambda ctx: ctx.request.query.get("t"), backend=backend)],
    )
    with TestClient(app) as client:
        # the namespace's budget is shared by its routes, per API key
        assert client.get("/api/a", headers={"x-api-key": "k1"}).status_code == 200
        assert client.get("/api/b", headers={"x-api-key": "k1"}).status_code == 429
        assert client.get("/api/b", headers={"x-api-key": "k2"}).status_code == 200
        assert client.get("/me", headers={"x-user": "ada"}).status_code == 200
        assert client.get("/me", headers={"x-user": "ada"}).status_code == 429
        assert client.get("/me", headers={"x-user": "bob"}).status_code == 200
        assert client.get("/tenant?t=1").status_code == 200
        assert client.get("/tenant?t=1").status_code == 429
        assert client.get("/tenant?t=2").status_code == 200


def test_memory_backend_stays_bounded() -> None:
    clock = Clock()
    backend = MemoryBackend(max_keys=10, clock=clock)

    async def run() -> None:
        for i in range(100):
            await backend.take(f"k{i}", 5, 1.0)
            clock.now += 0.01
        assert len(backend._buckets) <= 10
        assert (await backend.take("k99", 5, 1.0)).remaining < 4  # recent keys are kept

    asyncio.run(run())


def test_a_failing_backend_lets_requests_through_or_fails_closed(make_app: Any) -> None:
    class Broken:
        async def take(self, key: str, capacity: int, rate: float) -> Any:
            raise ConnectionError("backend down")

    app = make_app()
    app.get("/open", lambda ctx: {}, filters=[RateLimit("1/s", backend=Broken())])
    app.get(
        "/closed", lambda ctx: {}, filters=[RateLimit("1/s", backend=Broken(), fail_open=False)]
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert [client.get("/open").status_code for _ in range(3)] == [200, 200, 200]
        assert client.get("/closed").status_code == 500


def test_bad_options() -> None:
    with pytest.raises(ValueError):
        RateLimit("5/s", key="cookie")
    with pytest.raises(ValueError):
        RateLimit("5/s", burst=0)


def test_redis_backend_is_atomic_under_concurrency(redis_url: str) -> None:
    from mvcpy.filters.ratelimit_redis import RedisBackend

    async def run() -> list[bool]:
        backend = RedisBackend(redis_url, prefix=f"test:{uuid.uuid4().hex}:")
        try:
            decisions = await asyncio.gather(*(backend.take("k", 10, 0.001) for _ in range(60)))
            return [d.allowed for d in decisions]
        finally:
            await backend.close()

    allowed = asyncio.run(run())
    assert allowed.count(True) == 10


def test_redis_backend_from_config(make_app: Any, redis_url: str) -> None:
    name = f"cfg-{uuid.uuid4().hex}"
    app = make_app(
        filters={"rate_limit": {"rate": "2/minute", "redis_url": redis_url, "name": name}}
    )
    app.get("/", lambda ctx: {})
    with TestClient(app) as client:
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
    # a second app (another worker) shares the same budget through Redis
    other = make_app(
        filters={"rate_limit": {"rate": "2/minute", "redis_url": redis_url, "name": name}}
    )
    other.get("/", lambda ctx: {})
    with TestClient(other) as client:
        assert client.get("/").status_code == 429
