"""Real `mvcpy worker` processes on PostgreSQL: 10,000 jobs sent over HTTP all done once
with a worker killed mid-run, a minutely cron that fires once a minute across two
workers, a job whose worker is killed with SIGKILL, and the SIGTERM hand-back."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from mvcpy.jobs import schema
from tests.jobs import jobs_app

from ._servers import LIVE, PYTHON, REPO_ROOT, STOP_TIMEOUT, ServerProcess, server_env, uvicorn_argv

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.jobs_app:app"
#: seconds: a worker that misses heartbeats this long is dead and its jobs go back
STALLED_AFTER = 3
HOLDS = (
    "SELECT status, attempts FROM (SELECT * FROM procrastinate_jobs "
    "WHERE task_name = 'tests.e2e.apps.jobs_app.hold') AS holds"
)
IDEMPOTENT = "tests.jobs.jobs_app.idempotent"
MINUTELY = "tests.e2e.apps.jobs_app.minutely"


class Worker:
    """A `mvcpy worker` subprocess with its own log (shown when a test fails)."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *argv: str) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "mvcpy.cli", "worker", "--app", APP, *argv],
                cwd=REPO_ROOT,
                env=server_env(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        LIVE.append(self)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, and the exit code (None when it had to be killed)."""
        code: int | None = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.proc.wait(timeout=timeout)
        else:
            code = self.proc.returncode
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)
        if self in LIVE:
            LIVE.remove(self)  # type: ignore[arg-type]
        return code


@pytest.fixture
def jobs_env(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A PostgreSQL schema with the queue and the tables, and the environment that points
    the server and the workers at it."""
    name = f"e2e_jobs_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    url = f"{postgres_url}?options=-csearch_path%3D{name}"
    scoped = create_engine(url)
    with scoped.begin() as connection:
        schema.install(connection)
        jobs_app.metadata.create_all(connection)
    markers = tmp_path / "markers"
    markers.mkdir()
    try:
        yield {
            "MVCPY_DATABASE__URL": url,
            "MVCPY_JOBS__HEARTBEAT": "1",
            "MVCPY_JOBS__STALLED_AFTER": str(STALLED_AFTER),
            "MVCPY_JOBS__MISSED_TICKS_WITHIN": "5",
            "MVCPY_JOBS__RETRY_BACKOFF": "1",
            "JOBS_E2E_MARKERS": str(markers),
            "E2E_LOGS": str(tmp_path),
        }
    finally:
        scoped.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def workers(jobs_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers (stopped when the test ends): ``workers(name, *argv, **env)``."""
    started: list[Worker] = []

    def start(name: str, *argv: str, **env: str) -> Worker:
        worker = Worker(name, {**jobs_env, **env}, tmp_path, *argv)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _scalar(jobs_env: dict[str, str], sql: str) -> Any:
    engine = create_engine(jobs_env["MVCPY_DATABASE__URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _rows(jobs_env: dict[str, str], sql: str) -> list[Any]:
    engine = create_engine(jobs_env["MVCPY_DATABASE__URL"])
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.timeout(480)  # three minutes of cron, and up to a minute to line them up
def test_ten_thousand_jobs_complete_once_and_a_minutely_cron_fires_once_a_minute(
    start_server: Callable[..., ServerProcess],
    workers: Callable[..., Worker],
    jobs_env: dict[str, str],
) -> None:
    # Start between :07 and :50, so that the tick before the start is more than
    # missed_ticks_within (5 s) old: skipped, as documented.
    second = time.time() % 60
    if not 7 <= second <= 50:
        time.sleep((67 - second) % 60)
    started = time.time()
    first, second_worker = workers("worker-1", "-c", "8"), workers("worker-2", "-c", "8")
    server = start_server("jobs-uvicorn", uvicorn_argv(APP), jobs_env)

    requests, per_request = 500, 20
    with ThreadPoolExecutor(8) as pool, httpx.Client(base_url=server.base_url, timeout=30) as http:
        answers = list(
            pool.map(lambda n: http.post(f"/send-many/r{n}/{per_request}"), range(requests))
        )
    assert {a.status_code for a in answers} == {200}
    total = requests * per_request

    def done() -> int:
        return int(_scalar(jobs_env, "SELECT count(*) FROM job_effects WHERE key LIKE 'r%'"))

    _until(lambda: done() >= 2000, 120, "2,000 jobs done")
    first.kill()  # mid-run, with jobs in hand
    time.sleep(1)
    again = workers("worker-1-again", "-c", "8")
    _until(lambda: done() == total, 240, f"{total} jobs done")
    print(f"{total} jobs done {time.time() - started:.1f} s after the workers started")

    states = _rows(
        jobs_env,
        f"SELECT status, count(*) FROM procrastinate_jobs WHERE task_name = '{IDEMPOTENT}' "
        "GROUP BY status",
    )
    assert states == [("succeeded", total)]
    assert (
        _scalar(jobs_env, "SELECT count(DISTINCT key) FROM job_effects WHERE key LIKE 'r%'")
        == total
    )
    runs = _scalar(jobs_env, "SELECT count(*) FROM job_attempts")
    assert runs >= total  # at least once: the killed worker's jobs ran again

    # The cron: the three minute boundaries after the start, once each.
    boundaries = [math.ceil(started / 60) * 60 + 60 * n for n in range(3)]
    time.sleep(max(0.0, boundaries[-1] + 8 - time.time()))
    for worker in (second_worker, again):
        assert worker.stop() == 0  # SIGTERM: a clean stop
    ticks = _rows(jobs_env, "SELECT key FROM job_effects WHERE key LIKE 'tick:%' ORDER BY key")
    expected = [f"tick:{_iso(b)}" for b in boundaries]
    assert [key for (key,) in ticks] == expected
    deferred = _scalar(
        jobs_env,
        f"SELECT count(*) FROM procrastinate_jobs WHERE task_name = '{MINUTELY}'",
    )
    assert deferred == 3


def _iso(timestamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat()


def _hold(server: ServerProcess, key: str) -> None:
    assert httpx.post(f"{server.base_url}/hold/{key}", timeout=10).status_code == 200


def test_a_job_whose_worker_is_killed_runs_again_to_completion(
    start_server: Callable[..., ServerProcess],
    workers: Callable[..., Worker],
    jobs_env: dict[str, str],
) -> None:
    markers = Path(jobs_env["JOBS_E2E_MARKERS"])
    _hold(start_server("jobs-uvicorn", uvicorn_argv(APP), jobs_env), "h1")
    doomed = workers("worker-a")
    _until(lambda: (markers / "h1.0.started").exists(), 30, "the first attempt starts")
    doomed.kill()
    workers("worker-b")  # sees worker-a's heartbeat stop, and takes its job back
    _until(lambda: (markers / "h1.1.started").exists(), 30, "a second attempt starts")
    (markers / "h1.release").touch()
    _until(lambda: _scalar(jobs_env, "SELECT count(*) FROM job_effects") == 1, 30, "the effect")
    assert _rows(jobs_env, f"{HOLDS} WHERE args->>'key' = 'h1'") == [("succeeded", 2)]


def test_sigterm_lets_the_job_finish_or_hands_it_back(
    start_server: Callable[..., ServerProcess],
    workers: Callable[..., Worker],
    jobs_env: dict[str, str],
) -> None:
    markers = Path(jobs_env["JOBS_E2E_MARKERS"])
    server = start_server("jobs-uvicorn", uvicorn_argv(APP), jobs_env)
    _hold(server, "finish")
    patient = workers("worker-patient")
    _until(lambda: (markers / "finish.0.started").exists(), 30, "the job starts")
    patient.proc.send_signal(signal.SIGTERM)
    time.sleep(1)
    (markers / "finish.release").touch()  # the job in progress finishes...
    assert patient.proc.wait(timeout=20) == 0  # ...then the worker exits
    assert _rows(jobs_env, f"{HOLDS} WHERE args->>'key' = 'finish'") == [("succeeded", 1)]

    _hold(server, "back")
    hasty = workers("worker-hasty", MVCPY_JOBS__SHUTDOWN_TIMEOUT="1")
    _until(lambda: (markers / "back.0.started").exists(), 30, "the job starts")
    began = time.monotonic()
    assert hasty.stop(timeout=20) == 0
    assert time.monotonic() - began < 10  # it did not wait for the job
    # handed back to the queue, for its next attempt
    assert _rows(jobs_env, f"{HOLDS} WHERE args->>'key' = 'back'") == [("todo", 1)]
    (markers / "back.release").touch()
    workers("worker-next")
    _until(
        lambda: _scalar(jobs_env, "SELECT count(*) FROM job_effects WHERE key = 'back'") == 1,
        30,
        "the handed-back job runs",
    )
