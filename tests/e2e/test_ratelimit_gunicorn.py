"""The Redis rate limit under gunicorn with two workers: one budget for both."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from ._servers import PROD_SECRET, PYTHON, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2
BUDGET = 5
MAX_REQUESTS = 300


def test_two_workers_share_one_budget(
    start_server: Callable[..., ServerProcess], redis_url: str
) -> None:
    def argv(port: int) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn",
            "-k", "uvicorn_worker.UvicornWorker",
            "-w", str(WORKERS),
            "-b", f"127.0.0.1:{port}",
            "tests.e2e.apps.ratelimit:app",
        ]  # fmt: skip

    env = {
        "MVCPY_ENV": "prod",
        "MVCPY_SECRET_KEY": PROD_SECRET,
        "E2E_REDIS_URL": redis_url,
        "E2E_RATE_NAME": f"e2e-{uuid.uuid4().hex}",
        "E2E_RATE": f"{BUDGET}/hour",
    }
    server = start_server("gunicorn-ratelimit", argv, env, ready_path="/ready")
    workers = wait_for_children(server.pid, WORKERS)
    assert len(workers) == WORKERS

    statuses: Counter[int] = Counter()
    pids_by_status: dict[int, set[int]] = {200: set(), 429: set()}
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=server.base_url, timeout=10.0, limits=no_keepalive) as http:
        for _ in range(MAX_REQUESTS):
            response = http.get("/", headers={"connection": "close"})
            statuses[response.status_code] += 1
            pids_by_status[response.status_code].add(int(response.headers["x-worker-pid"]))
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.headers["ratelimit-remaining"] == "0"
            both_refused = pids_by_status[429] == workers
            if statuses[200] + statuses[429] >= 4 * BUDGET and both_refused:
                break
            if time.monotonic() > deadline:
                break
    # Exactly one budget was spent in total, and both workers refused once it was
    # gone: a per-process limit would have allowed up to twice as many.
    assert set(statuses) <= {200, 429}
    assert statuses[200] == BUDGET, statuses
    assert pids_by_status[429] == workers, (
        f"the kernel sent every request to one worker: {pids_by_status}"
    )
