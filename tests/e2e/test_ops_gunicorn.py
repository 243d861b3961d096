"""The operations page under gunicorn with two workers: whichever worker serves it, the
requests of both are counted, and both workers are listed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._servers import PYTHON, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)
CLOSE = {"connection": "close", "accept": "application/json"}


def test_the_dashboard_adds_up_both_workers(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    def argv(port: int) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn",
            "-k", "uvicorn_worker.UvicornWorker",
            "-w", str(WORKERS),
            "-b", f"127.0.0.1:{port}",
            "tests.e2e.apps.ops_app:app",
        ]  # fmt: skip

    state = tmp_path / "ops"
    server = start_server(
        "gunicorn-ops", argv, {"MVCPY_OPS__STATE_DIR": str(state)}, ready_path="/hello"
    )
    assert len(wait_for_children(server.pid, WORKERS)) == WORKERS
    answered_by: dict[str, int] = {}
    with httpx.Client(base_url=server.base_url, timeout=10, limits=NO_KEEPALIVE) as http:
        # The readiness probes: usually one, but a probe that timed out while the workers
        # booted is still answered and counted. Both workers publish within a second.
        time.sleep(1.0)
        sent = _hello_count(http)
        deadline = time.monotonic() + 60
        while (len(answered_by) < WORKERS or sent < 200) and time.monotonic() < deadline:
            pid = http.get("/hello", headers={"connection": "close"}).headers["x-worker-pid"]
            answered_by[pid] = answered_by.get(pid, 0) + 1
            sent += 1
        assert len(answered_by) == WORKERS, f"one worker answered everything: {answered_by}"
        time.sleep(1.0)  # a few snapshots: each worker has published its count
        seen: list[tuple[int, int, int]] = []
        for _ in range(8):  # new connections: both workers serve some of the pages
            overview = _overview(http)
            seen.append((overview["worker"], _count(overview), len(overview["workers"])))
    assert {count for _, count, _ in seen} == {sent}, (seen, sent, answered_by)
    assert {workers for _, _, workers in seen} == {WORKERS}
    assert {str(pid) for pid, _, _ in seen} <= set(answered_by)
    assert len(list(state.glob("worker-*.json"))) == WORKERS


def _overview(http: httpx.Client) -> dict[str, Any]:
    """The operations page's numbers, as JSON."""
    answer = http.get("/-/ops/", headers=CLOSE)
    assert answer.status_code == 200, answer.text
    overview: dict[str, Any] = answer.json()
    return overview


def _count(overview: dict[str, Any]) -> int:
    """The requests to ``/hello`` that the operations page counts."""
    (hello,) = [r for r in overview["routes"] if r["route"] == "hello"]
    return int(hello["count"])


def _hello_count(http: httpx.Client) -> int:
    """The requests to ``/hello`` counted so far, from a fresh read of the page."""
    return _count(_overview(http))
