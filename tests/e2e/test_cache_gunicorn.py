"""The Redis cache under gunicorn with two workers: one cache for both, one computation per key."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from ._servers import PYTHON, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


@pytest.fixture
def cache_server(start_server: Callable[..., ServerProcess], redis_url: str) -> ServerProcess:
    env = {"E2E_REDIS_URL": redis_url, "E2E_CACHE_PREFIX": f"mvcpy-e2e:{uuid.uuid4().hex}:"}

    def argv(port: int) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn",
            "-k", "uvicorn_worker.UvicornWorker",
            "-w", str(WORKERS),
            "-b", f"127.0.0.1:{port}",
            "tests.e2e.apps.cache_app:app",
        ]  # fmt: skip

    server = start_server("gunicorn-cache", argv, env, ready_path="/ready")
    assert len(wait_for_children(server.pid, WORKERS)) == WORKERS
    # Ready means one worker answered; the stampede needs both to be serving already.
    with httpx.Client(base_url=server.base_url, timeout=10, limits=NO_KEEPALIVE) as http:
        answered: set[str] = set()
        deadline = time.monotonic() + 60
        while len(answered) < WORKERS and time.monotonic() < deadline:
            answer = http.get("/ready", headers={"connection": "close"})
            answered.add(answer.headers["x-worker-pid"])
        assert len(answered) == WORKERS, f"only {answered} answered"
    return server


def _from_every_worker(http: httpx.Client, path: str) -> dict[int, object]:
    """GET ``path`` until both workers have answered; {pid: the JSON they sent}."""
    seen: dict[int, object] = {}
    deadline = time.monotonic() + 60
    while len(seen) < WORKERS and time.monotonic() < deadline:
        response = http.get(path, headers={"connection": "close"})
        seen[int(response.headers["x-worker-pid"])] = response.json()
    assert len(seen) == WORKERS, f"the kernel sent every request to one worker: {seen}"
    return seen


def test_workers_see_each_others_sets_and_invalidations(cache_server: ServerProcess) -> None:
    with httpx.Client(base_url=cache_server.base_url, timeout=10, limits=NO_KEEPALIVE) as http:
        stored = http.post("/put?key=greeting&value=hello&tag=words")
        assert stored.json() == {"stored": True}
        readers = _from_every_worker(http, "/read?key=greeting")
        assert set(map(str, readers.values())) == {str({"value": "hello"})}
        assert http.post("/invalidate?tag=words").json() == {"invalidated": True}
        readers = _from_every_worker(http, "/read?key=greeting")
        assert set(map(str, readers.values())) == {str({"value": None})}


def test_a_stampede_of_200_requests_computes_the_value_once(cache_server: ServerProcess) -> None:
    async def stampede() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=cache_server.base_url, timeout=30, limits=limits
        ) as http:
            return await asyncio.gather(*(http.get("/slow?key=cold") for _ in range(200)))

    responses = asyncio.run(stampede())
    assert all(r.status_code == 200 for r in responses)
    values = {r.json()["value"] for r in responses}
    assert len(values) == 1 and next(iter(values)).startswith("computed by ")
    assert len({r.headers["x-worker-pid"] for r in responses}) == WORKERS  # both answered
    with httpx.Client(base_url=cache_server.base_url, timeout=10) as http:
        assert http.get("/count?key=cold").json() == {"computations": 1}
