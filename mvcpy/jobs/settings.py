"""The settings of background jobs and cron: ``[jobs]``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator

from mvcpy.config.section import Section, StrList

__all__ = ["JobsSettings", "check_zone"]


class JobsSettings(Section):
    """``[jobs]``: where jobs wait, how workers run them, how they are retried (docs/jobs.md).

    ``backend = "auto"`` keeps jobs in the application's PostgreSQL database (procrastinate)
    when ``[database] url`` is PostgreSQL, and runs them in the server's own process
    otherwise (development on SQLite: not for production, ``mvcpy check`` says so). Tests
    keep them in memory until the ``jobs`` fixture runs them.
    """

    env_defaults: ClassVar = {"test": {"backend": "memory"}}

    #: auto | postgres (procrastinate, in the app's database) | inprocess (a runner in the
    #: server's process: development only) | memory (run when a test asks)
    backend: Literal["auto", "postgres", "inprocess", "memory"] = "auto"
    #: modules that declare jobs, imported at startup (the project's ``jobs`` module, when
    #: it exists, is imported without being listed)
    modules: StrList = Field(default_factory=list)
    #: attempts after the first when a job raises (a job's ``retries=`` overrides it)
    retries: NonNegativeInt = 3
    #: seconds before the first retry; retry n waits ``retry_backoff ** n`` seconds
    retry_backoff: PositiveInt = 2
    #: seconds a job may run before it is stopped and counted as failed (``timeout=``)
    timeout: PositiveFloat = 600.0
    #: jobs a worker runs at once (``mvcpy worker --concurrency``)
    concurrency: PositiveInt = 4
    #: the queues a worker takes jobs from; empty: all (``mvcpy worker --queue``)
    queues: StrList = Field(default_factory=list)
    #: seconds a stopping worker waits for its jobs before handing them back to the queue
    shutdown_timeout: PositiveFloat = 30.0
    #: seconds between a worker's heartbeats
    heartbeat: PositiveFloat = 5.0
    #: seconds without a heartbeat after which a worker counts as dead, and the jobs it
    #: was running go back to the queue (a worker killed with SIGKILL)
    stalled_after: PositiveFloat = 30.0
    #: a cron tick missed while every worker was down runs once if it is at most this
    #: many seconds late; older ones are skipped
    missed_ticks_within: PositiveFloat = 600.0
    #: the time zone of cron expressions that name none
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        check_zone(value)
        return value


def check_zone(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a time zone the system knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (e.g. 'Europe/Paris')") from exc
