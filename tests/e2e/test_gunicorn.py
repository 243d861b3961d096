"""The basic app under gunicorn with two uvicorn workers, then a graceful SIGTERM."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ._servers import APP_SPEC, PROD_SECRET, PYTHON, ServerProcess

pytestmark = pytest.mark.e2e

WORKERS = 2
MAX_REQUESTS = 200


def children_of(pid: int) -> set[int]:
    """Return the pids whose parent is ``pid``, read from /proc."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process went away while we looked
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        state, ppid = fields[0], int(fields[1])
        if ppid == pid and state != "Z":
            children.add(int(entry.name))
    return children


def wait_for_children(pid: int, count: int, timeout: float = 30.0) -> set[int]:
    deadline = time.monotonic() + timeout
    children = children_of(pid)
    while len(children) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        children = children_of(pid)
    return children


def gunicorn_argv(port: int) -> list[str]:
    return [
        PYTHON, "-m", "gunicorn",
        "-k", "uvicorn_worker.UvicornWorker",
        "-w", str(WORKERS),
        "-b", f"127.0.0.1:{port}",
        "--graceful-timeout", "10",
        APP_SPEC,
    ]  # fmt: skip


def test_gunicorn_serves_with_two_workers_and_stops_on_sigterm(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(
        "gunicorn", gunicorn_argv, {"MVCPY_ENV": "prod", "MVCPY_SECRET_KEY": PROD_SECRET}
    )
    master = server.pid
    workers = wait_for_children(master, WORKERS)
    assert len(workers) == WORKERS, f"gunicorn master {master} has children {workers}"

    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        assert http.get("/hello").status_code == 200
        assert http.get("/json").json()["env"] == "prod"
        assert http.get("/users/J%C3%BCrgen").json() == {"name": "J\u00fcrgen"}
        assert http.get("/nowhere").status_code == 404
        state = http.get("/startup").json()
        # Each worker runs the lifespan startup hook itself.
        assert state["started"] is True
        assert state["startup_pid"] in workers

    # Fresh connections, so the kernel may hand them to either worker.
    seen: set[int] = set()
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=server.base_url, timeout=10.0, limits=no_keepalive) as http:
        for _ in range(MAX_REQUESTS):
            response = http.get("/pid", headers={"connection": "close"})
            assert response.status_code == 200
            seen.add(response.json()["pid"])
            if len(seen) == WORKERS:
                break
    # Which worker accepts is the kernel's choice: seeing one pid only is not a failure,
    # but every pid that answered must be one of the master's workers.
    assert seen
    assert seen <= workers, f"answers came from {seen}, workers are {workers}"
    assert master not in seen

    code = server.stop(signal.SIGTERM)
    assert code == 0, f"gunicorn exited with {code}\n{server.log()}"
    assert not children_of(master)
