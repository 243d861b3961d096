"""A generated project served by gunicorn (2 workers, prod) whose database stops answering.

The database URL points at a socket that accepts connections and never answers, the
hardest case (a refused connection fails at once). With ``connect_timeout`` and
``pool_timeout`` at one second, twenty concurrent requests to the posts get 503 with
``Retry-After`` within seconds, while the home page and the static files answer at
once, ``/healthz`` says the database is in error, and the log has one line per worker
and reason instead of a traceback per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.silent_server import SilentServer

from ._projects import MVCPY, new_project, run_in_project
from ._servers import PROD_SECRET, VENV_BIN, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_silent_database_is_503s_in_seconds_and_the_rest_of_the_site_answers(
    tmp_path: Path, start_server: Callable[..., ServerProcess], silent: SilentServer
) -> None:
    project = new_project(tmp_path)
    run_in_project([MVCPY, "generate", "scaffold", "post", "title:str"], project)
    environment = {
        "MVCPY_ENV": "prod",
        "MVCPY_SECRET_KEY": PROD_SECRET,
        "MVCPY_DATABASE__URL": f"postgresql+psycopg://nobody@127.0.0.1:{silent.port}/none",
        "MVCPY_DATABASE__CONNECT_TIMEOUT": "1",
        "MVCPY_DATABASE__POOL_TIMEOUT": "1",
        "WEB_CONCURRENCY": "2",
    }
    server = start_server(
        "database-down",
        lambda port: [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}"],
        env=environment,
        ready_path="/static/site.css",
        cwd=project,
    )
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            pending = [pool.submit(http.get, "/posts") for _ in range(20)]
            time.sleep(0.3)
            for path in ("/", "/static/site.css"):  # while twenty wait on the database
                quick = time.monotonic()
                assert http.get(path).status_code == 200, path
                assert time.monotonic() - quick < 1.0, path
            answers = [future.result() for future in pending]
        assert time.monotonic() - started < 15  # seconds, not minutes
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5"
        health = http.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] in ("error", "timeout")
    log = server.log()
    assert "database unavailable: cannot connect to the database; answered 503" in log
    assert log.count("database unavailable") <= 4  # one line per worker and reason
    assert "Traceback" not in log
