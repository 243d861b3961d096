"""``mvcpy generate jobs``: the project's jobs module, its test, and the revision that
creates the job queue in the application's database (PostgreSQL; nothing on SQLite)."""

from __future__ import annotations

import sys
from typing import TextIO

from mvcpy.generate.files import Change, Plan, render
from mvcpy.generate.layout import Project
from mvcpy.generate.migrations import Revision

__all__ = ["generate_jobs"]

#: the revision's message: an existing revision with it is kept
MESSAGE = "create the job queue"

_UPGRADE = "schema.upgrade(op.get_bind())  # procrastinate's tables, on PostgreSQL only"
_DOWNGRADE = "schema.downgrade(op.get_bind())"


def generate_jobs(
    project: Project, *, force: bool = False, out: TextIO | None = None
) -> list[Change]:
    """Write ``jobs.py`` (a job and a cron), ``tests/test_jobs.py`` and the queue's revision."""
    stream = out or sys.stdout
    plan = Plan(project.root, force)
    context = {"project": project.package}
    plan.add(project.path("jobs.py"), render("jobs/jobs.py.jinja", **context))
    plan.add(project.root / "tests" / "test_jobs.py", render("jobs/test_jobs.py.jinja", **context))
    revision = Revision(
        project, MESSAGE, plan, code=(_UPGRADE, _DOWNGRADE), imports="from mvcpy.jobs import schema"
    )
    changes = plan.write(stream)
    revision.write(stream)
    return changes
