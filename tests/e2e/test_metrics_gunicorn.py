"""Prometheus metrics under gunicorn with two workers (multiprocess mode): a scrape of
either worker adds up the requests both answered."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ._servers import PYTHON, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)
HELLO = re.compile(
    r'^mvcpy_http_requests_total\{method="GET",route="hello",status="200"\} (\S+)$', re.M
)

GUNICORN_CONF = """
from prometheus_client import multiprocess

def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
"""


def test_the_requests_of_both_workers_add_up(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    values = tmp_path / "prometheus"
    values.mkdir()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(GUNICORN_CONF)

    def argv(port: int) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn", "-c", str(conf),
            "-k", "uvicorn_worker.UvicornWorker",
            "-w", str(WORKERS),
            "-b", f"127.0.0.1:{port}",
            "tests.e2e.apps.metrics_app:app",
        ]  # fmt: skip

    server = start_server(
        "gunicorn-metrics", argv, {"PROMETHEUS_MULTIPROC_DIR": str(values)}, ready_path="/hello"
    )
    assert len(wait_for_children(server.pid, WORKERS)) == WORKERS
    answered_by: dict[str, int] = {}
    with httpx.Client(base_url=server.base_url, timeout=10, limits=NO_KEEPALIVE) as http:
        # The readiness probes: usually one, but a probe that timed out while the workers
        # booted is still answered (and counted) once they are up.
        sent = int(_hello_count(http))
        deadline = time.monotonic() + 60
        while (len(answered_by) < WORKERS or sent < 300) and time.monotonic() < deadline:
            pid = http.get("/hello", headers={"connection": "close"}).headers["x-worker-pid"]
            answered_by[pid] = answered_by.get(pid, 0) + 1
            sent += 1
        assert len(answered_by) == WORKERS, f"one worker answered everything: {answered_by}"
        # new connections: both workers answer some of the scrapes
        counts = [_hello_count(http) for _ in range(6)]
    # whichever worker was scraped, the count is both workers' together
    assert counts == [float(sent)] * 6, (counts, sent, answered_by)


def _hello_count(http: httpx.Client) -> float:
    """The requests to ``/hello`` that a scrape of ``/metrics`` counts."""
    scraped = http.get("/metrics", headers={"connection": "close"})
    assert scraped.status_code == 200
    found = HELLO.search(scraped.text)
    assert found, scraped.text
    return float(found.group(1))
