"""Sessions under gunicorn with two workers and no sticky routing: either worker reads them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from mvcpy import App
from mvcpy.sessions.database import DatabaseStore

from ._servers import PROD_SECRET, PYTHON, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2


@pytest.mark.parametrize("backend", ["cookie", "redis", "database"])
def test_a_session_written_by_one_worker_is_read_by_the_other(
    start_server: Callable[..., ServerProcess],
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path: Path,
) -> None:
    env = {
        "MVCPY_ENV": "prod",
        "MVCPY_SECRET_KEY": PROD_SECRET,
        "E2E_SESSION_BACKEND": backend,
        "E2E_SESSION_PREFIX": f"mvcpy-e2e:{uuid.uuid4().hex}:",
    }
    if backend == "redis":
        env["E2E_REDIS_URL"] = request.getfixturevalue("redis_url")
    if backend == "database":  # PostgreSQL
        env["E2E_DATABASE_URL"] = request.getfixturevalue("postgres_url")
        setup = App(root_path=tmp_path, config={"database": {"url": env["E2E_DATABASE_URL"]}})
        DatabaseStore(setup.database).create_table()
        setup.database.engine.dispose()

    def argv(port: int) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn",
            "-k", "uvicorn_worker.UvicornWorker",
            "-w", str(WORKERS),
            "-b", f"127.0.0.1:{port}",
            "tests.e2e.apps.sessions_app:app",
        ]  # fmt: skip

    server = start_server(f"gunicorn-sessions-{backend}", argv, env, ready_path="/ready")
    workers = wait_for_children(server.pid, WORKERS)
    assert len(workers) == WORKERS
    value = uuid.uuid4().hex
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=server.base_url, timeout=10.0, limits=no_keepalive) as http:
        written = http.get("/write", params={"value": value}, headers={"connection": "close"})
        cookie = written.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie  # prod defaults
        token = cookie.split(";", 1)[0]
        writer = int(written.headers["x-worker-pid"])
        readers: dict[int, str | None] = {}
        # Until both workers have answered: one may still be starting (slowly, on a busy
        # machine), and until then the kernel gives every connection to the other.
        deadline = time.monotonic() + 60
        while len(readers) < WORKERS and time.monotonic() < deadline:
            response = http.get("/read", headers={"cookie": token, "connection": "close"})
            readers[int(response.headers["x-worker-pid"])] = response.json()["value"]
            time.sleep(0.01)
    assert set(readers) == workers, f"the kernel sent every request to one worker: {readers}"
    assert writer in readers
    assert set(readers.values()) == {value}
