"""The inprocess backend (development on SQLite): a worker inside the server, and the
checks that keep it out of production."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from mvcpy import App
from mvcpy.errors import ConfigurationError
from mvcpy.jobs import JobContext, every
from mvcpy.readiness import run_checks
from mvcpy.testing import TestClient
from tests.jobs import jobs_app
from tests.jobs.jobs_app import attempts, effects, make_app


def _wait_for(app: App, table: object, count: int, seconds: float = 10.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        with app.database.engine.connect() as connection:
            keys = list(connection.scalars(select(table.c.key).order_by(table.c.id)))  # type: ignore[attr-defined]
        if len(keys) >= count or time.monotonic() > deadline:
            return keys
        time.sleep(0.05)


def test_jobs_run_inside_the_development_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path, env="dev", jobs={"retry_backoff": 1})
    jobs_app.metadata.create_all(app.database.engine)
    assert app.services["jobs"].backend == "inprocess"  # auto, on SQLite
    with caplog.at_level(logging.WARNING, "mvcpy.jobs"), TestClient(app) as client:
        assert client.post("/send/a").status_code == 200
        assert client.post("/send-async/b").status_code == 200
        jobs_app.flaky.send("f", 1)  # from a script: at once, retried after 1 s
        assert sorted(_wait_for(app, effects, 3)) == ["a", "b", "f"]
    assert "they are lost when it stops" in caplog.text


def test_a_cron_job_ticks_in_the_development_server(tmp_path: Path) -> None:
    @every(seconds=1)
    def tick(ctx: JobContext) -> None:
        assert ctx.scheduled_at is not None
        ctx.db.execute(attempts.insert().values(key=ctx.scheduled_at.isoformat()))

    app = make_app(tmp_path, env="dev", jobs={"modules": [__name__]})  # the tick is its job
    jobs_app.metadata.create_all(app.database.engine)
    with TestClient(app):
        ticks = _wait_for(app, attempts, 2)
    assert len(ticks) >= 2 and len(set(ticks)) == len(ticks)


def test_without_a_server_the_inprocess_backend_says_the_job_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path, env="dev")
    app.start()
    with caplog.at_level(logging.WARNING, "mvcpy.jobs"):
        jobs_app.record.send("nowhere")
    assert "no server running in this process" in caplog.text


def test_production_refuses_jobs_that_would_be_lost(tmp_path: Path) -> None:
    app = make_app(tmp_path, env="prod", secret_key="s" * 40, allowed_hosts=["example.com"])
    failed = [r for r in run_checks(app) if r.name == "jobs"]
    assert len(failed) == 1 and failed[0].ok is False and failed[0].fatal
    assert "jobs would be lost" in failed[0].message
    with pytest.raises(ConfigurationError, match="backend = 'postgres'"):
        make_app(tmp_path, jobs={"backend": "postgres"}).services["jobs"]
