"""Background jobs and cron: ``@job`` functions sent from actions, run by ``mvcpy worker``.

A job sent inside an action (or another job) is queued if and only if that unit of work
commits. On PostgreSQL the jobs live in the application's database (procrastinate);
``app.services["jobs"]`` is the :class:`~mvcpy.jobs.engine.JobEngine`; ``[jobs]``
configures it (docs/jobs.md).
"""

from mvcpy.jobs.context import JobContext
from mvcpy.jobs.declare import Job, JobArgumentError, cron, every, job
from mvcpy.jobs.settings import JobsSettings

__all__ = [
    "Job",
    "JobArgumentError",
    "JobContext",
    "JobsSettings",
    "cron",
    "every",
    "job",
]
