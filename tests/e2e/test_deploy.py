"""Deploying a project that ``mvcpy new`` wrote: ``mvcpy check``, gunicorn, ``mvcpy serve``.

gunicorn runs in the project's directory, so it reads the project's ``gunicorn.conf.py``
(two mvcpy workers, graceful timeout) on its own. The project gets one extra route, a
sync action that sleeps 2 s, to show that SIGTERM lets a request in flight finish.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._projects import MVCPY, new_project, run_in_project
from ._servers import PROD_SECRET, VENV_BIN, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

HOST = "demo.example.com"
PROD = {
    "MVCPY_ENV": "prod",
    "MVCPY_SECRET_KEY": PROD_SECRET,
    "MVCPY_ALLOWED_HOSTS": f'["{HOST}"]',
}

SLOW_CONTROLLER = '''\
"""A slow page: it marks that it started, then takes 2 s."""

import os
import time
from pathlib import Path

from mvcpy import Controller


class SlowController(Controller):
    def get(self):
        Path(os.environ["SLOW_MARKER"]).write_text(str(os.getpid()))
        time.sleep(2)
        return {"slept": 2, "pid": os.getpid()}
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new project ``demo`` with a slow route, migrated."""
    project = new_project(tmp_path_factory.mktemp("deploy"))
    (project / "demo" / "controllers" / "slow.py").write_text(SLOW_CONTROLLER)
    with (project / "demo" / "app.py").open("a") as app:
        app.write(
            "\nfrom demo.controllers.slow import SlowController  # noqa: E402\n\n"
            'app.router("/slow", SlowController, name="slow")\n'
        )
    run_in_project([MVCPY, "db", "upgrade"], project)
    return project


def json_lines(log: str) -> list[dict[str, Any]]:
    """A server's log lines, each of which must be a JSON object."""
    lines = []
    for line in log.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line that is not JSON: {line!r}\n{log}") from None
    return lines


def test_mvcpy_check_says_what_to_fix_before_a_deploy(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    # A model whose revision the database has not run yet (a new project has none).
    run_in_project([MVCPY, "generate", "scaffold", "post", "title:str"], project)
    fresh = run_in_project([MVCPY, "check"], project, check=False)
    assert fresh.returncode == 1, fresh.stdout + fresh.stderr
    failed = [line.split()[1] for line in fresh.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == ["secret_key", "allowed_hosts", "migrations"]
    assert "run `mvcpy db upgrade`" in fresh.stdout
    assert "Traceback" not in fresh.stderr

    run_in_project([MVCPY, "db", "upgrade"], project, env={"MVCPY_ENV": "prod"})
    ready = run_in_project([MVCPY, "check"], project, env=PROD, check=False)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.splitlines()[-1] == "ready for production"
    rows = {line.split()[1]: line for line in ready.stdout.splitlines()[1:-1]}
    assert rows["templates"].endswith(" 10 template(s) compile")  # 5 + the scaffold's
    # The security checklist: on by default in a generated project, CSP included.
    assert rows["security_headers"].startswith("ok ") and ", CSP, HSTS" in rows["security_headers"]
    assert rows["session_cookie"].split()[0] == "ok" and rows["csrf"].split()[0] == "ok"


def test_gunicorn_serves_the_project_and_sigterm_lets_requests_finish(
    project: Path, start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    marker = tmp_path / "slow-started"
    server = start_server(
        "gunicorn-project",
        lambda port: [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "demo.app:app"],
        env={**PROD, "WEB_CONCURRENCY": "2", "SLOW_MARKER": str(marker)},
        ready_path="/healthz",
        cwd=project,
    )
    master = server.pid
    assert len(wait_for_children(master, 2)) == 2  # workers = WEB_CONCURRENCY, from the config
    assert "Using worker: mvcpy.workers.UvicornWorker" in server.log()

    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        health = http.get("/healthz")  # Host: 127.0.0.1, as a load balancer's probe sends
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok"}
        assert "set-cookie" not in health.headers
        assert http.get("/").status_code == 400  # not an allowed host
        home = http.get("/", headers={"host": HOST})
        assert home.status_code == 200
        assert "Welcome to demo" in home.text

    answers: list[httpx.Response | BaseException] = []

    def slow_request() -> None:
        try:
            with httpx.Client(base_url=server.base_url, timeout=20.0) as http:
                answers.append(http.get("/slow", headers={"host": HOST}))
        except BaseException as exc:  # reported by the assertions below
            answers.append(exc)

    thread = threading.Thread(target=slow_request)
    thread.start()
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), f"the slow request never started\n{server.log()}"
    started = time.monotonic()
    code = server.stop(signal.SIGTERM)  # while the request sleeps
    thread.join(timeout=20)
    (answer,) = answers
    assert isinstance(answer, httpx.Response), f"{answer!r}\n{server.log()}"
    assert answer.status_code == 200
    assert answer.json() == {"slept": 2, "pid": int(marker.read_text())}
    assert code == 0, f"gunicorn exited with {code}\n{server.log()}"
    assert time.monotonic() - started < 15  # graceful, not the 30 s graceful_timeout

    # Every line is JSON: gunicorn's and uvicorn's process lines as well as the app's.
    lines = json_lines(server.log())
    messages = {(line["logger"], line["message"].split(":", 1)[0]) for line in lines}
    assert ("gunicorn.error", "Booting worker with pid") in messages
    assert ("gunicorn.error", "Handling signal") in messages
    assert ("uvicorn.error", "Application startup complete.") in messages
    # The app's access log, one object per line with the request id.
    access = [line for line in lines if line["logger"] == "mvcpy.access"]
    slow = [line for line in access if line["access"]["path"] == "/slow"]
    assert len(slow) == 1, access
    assert slow[0]["access"]["status"] == 200 and slow[0]["level"] == "INFO"
    assert len(slow[0]["request_id"]) == 32
    assert not [line for line in server.log().splitlines() if '"GET /slow HTTP/1.1"' in line]


def test_mvcpy_serve_runs_gunicorn_with_the_project_config(
    project: Path, start_server: Callable[..., ServerProcess]
) -> None:
    server = start_server(
        "mvcpy-serve",
        lambda port: [MVCPY, "serve", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        env={k: v for k, v in PROD.items() if k != "MVCPY_ENV"},  # serve sets prod itself
        ready_path="/healthz",
        cwd=project,
    )
    assert len(wait_for_children(server.pid, 1)) == 1  # the command became gunicorn's master
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        home = http.get("/", headers={"host": HOST})
        assert home.status_code == 200
        assert "Welcome to demo" in home.text
    log = server.log()
    assert f"mvcpy serve: -m gunicorn --config {project / 'gunicorn.conf.py'}" in log
    assert "Using worker: mvcpy.workers.UvicornWorker" in log
    assert server.stop(signal.SIGTERM) == 0, server.log()
