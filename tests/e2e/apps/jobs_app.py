"""An app whose actions send jobs, run by real `mvcpy worker` processes
(tests/e2e/test_jobs_workers.py): the jobs of tests/jobs/jobs_app.py, a minutely cron and a
job that holds until the test releases it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from mvcpy.jobs import JobContext, cron, job
from tests.jobs.jobs_app import effects, make_app


def _record_once(ctx: JobContext, key: str) -> None:
    if ctx.db.scalar(select(func.count()).where(effects.c.key == key)) == 0:
        ctx.db.execute(effects.insert().values(key=key))


@cron("* * * * *")
def minutely(ctx: JobContext) -> None:
    """Record the tick (once, however often the job runs)."""
    assert ctx.scheduled_at is not None
    _record_once(ctx, f"tick:{ctx.scheduled_at.isoformat()}")


@job(retries=3)
def hold(ctx: JobContext, key: str) -> None:
    """Mark each attempt's start, wait until the test releases the key, then record."""
    folder = Path(os.environ["JOBS_E2E_MARKERS"])
    (folder / f"{key}.{ctx.attempts}.started").touch()
    while not (folder / f"{key}.release").exists():
        time.sleep(0.05)
    _record_once(ctx, key)


def _hold(ctx: Any, key: str) -> dict[str, str]:
    hold.send(key)
    return {"sent": key}


# The test's folder as the project's: nothing else to compile or check there.
app = make_app(Path(os.environ["JOBS_E2E_MARKERS"]).parent, env="dev", jobs={"modules": [__name__]})
app.post("/hold/{key}", _hold, name="hold")
