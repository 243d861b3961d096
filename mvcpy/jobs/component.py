"""The jobs component: ``[jobs]``, the ``jobs`` service, ``mvcpy worker`` and ``mvcpy jobs``."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from mvcpy.components import CheckResult, Command, ServiceComponent, Setup
from mvcpy.jobs.commands import configure_jobs, configure_worker, run_jobs, run_worker
from mvcpy.jobs.settings import JobsSettings

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.jobs.engine import JobEngine

__all__ = ["JobsComponent", "resolve_backend"]

logger = logging.getLogger("mvcpy.jobs")


def resolve_backend(settings: JobsSettings, dialect: str) -> str:
    """The backend ``[jobs] backend`` means with a database of ``dialect`` (``auto``:
    postgres on PostgreSQL, else inprocess)."""
    if settings.backend == "auto":
        return "postgres" if dialect == "postgresql" else "inprocess"
    if settings.backend == "postgres" and dialect != "postgresql":
        from mvcpy.errors import ConfigurationError

        raise ConfigurationError(
            f"[jobs] backend = 'postgres' keeps jobs in the application's database, and "
            f"[database] url is {dialect}: use a PostgreSQL database, or backend = 'inprocess' "
            "in development"
        )
    return settings.backend


class JobsComponent(ServiceComponent):
    """Publish the app's :class:`~mvcpy.jobs.engine.JobEngine`; in development on SQLite,
    run its jobs inside the server."""

    name = "jobs"
    service = "jobs"
    sections = {"jobs": JobsSettings}
    commands = (
        Command(
            "worker",
            "run background jobs and cron (PostgreSQL): until SIGTERM or Ctrl-C",
            run_worker,
            configure_worker,
            description="Start as many as you need, on as many machines: each job runs "
            "once, each cron tick once. docs/jobs.md",
        ),
        Command(
            "jobs",
            "list the queued, running, failed and scheduled jobs; retry or cancel one",
            run_jobs,
            configure_jobs,
            description="Reads the application's database (the postgres backend).",
        ),
    )

    def install(self, setup: Setup) -> None:
        """Publish the engine and the ``mvcpy check`` check."""
        super().install(setup)
        setup.check(self._check_backend)

    def build(self, setup: Setup) -> JobEngine:
        """Build the engine from ``[jobs]`` and the database's URL."""
        from sqlalchemy.engine import make_url

        from mvcpy.jobs.engine import JobEngine
        from mvcpy.orm.settings import DatabaseSettings

        settings = setup.settings(JobsSettings)
        url_text = setup.settings(DatabaseSettings).url  # "" is the SQLite default
        backend = resolve_backend(
            settings, make_url(url_text).get_backend_name() if url_text else "sqlite"
        )

        def url() -> str:  # libpq's form of [database] url, for procrastinate's pool
            database = setup.get_service("database")
            return str(
                database.url.set(drivername="postgresql").render_as_string(hide_password=False)
            )

        return JobEngine(settings, backend, setup.services, setup.config, url, setup.root_path)

    def start(self) -> None:
        """Import the modules that declare jobs (the project's ``jobs`` and ``[jobs] modules``);
        build the engine, so that a script can send them."""
        setup = self.setup
        if setup is None:
            return
        _import_job_modules(setup)
        setup.get_service(self.service)  # built now: the queue of jobs sent from scripts

    async def startup(self) -> None:
        """Start the in-process worker (the inprocess backend, development)."""
        engine: JobEngine | None = self.built()
        if engine is not None and engine.backend == "inprocess" and engine.jobs:
            await engine.start_in_process()

    async def shutdown(self) -> None:
        """Stop the in-process worker and the threads of sync jobs."""
        engine = self.built()
        if engine is not None:
            await engine.stop()

    def _check_backend(self, app: Application) -> CheckResult:
        if self.setup is not None:
            _import_job_modules(self.setup)  # the check may run before the app starts
        return _check_backend(app)


def _import_job_modules(setup: Setup) -> None:
    for module in _job_modules(setup):
        importlib.import_module(module)


def _job_modules(setup: Setup) -> list[str]:
    modules = list(setup.settings(JobsSettings).modules)
    package = setup.root_path.name
    own = f"{package}.jobs"
    here = setup.root_path
    if own not in modules and (
        here.joinpath("jobs.py").is_file() or here.joinpath("jobs", "__init__.py").is_file()
    ):
        modules.insert(0, own)
    return modules


def _check_backend(app: Application) -> CheckResult:
    engine: JobEngine = app.services["jobs"]
    jobs = engine.jobs
    if not jobs:
        return CheckResult("jobs", True, "no job declared")
    if engine.backend == "postgres":
        from mvcpy.jobs.schema import installed

        with app.database.engine.connect() as connection:
            if not installed(connection):
                return CheckResult(
                    "jobs",
                    False,
                    f"{len(jobs)} job(s) declared, and the database has no job queue: "
                    "mvcpy generate jobs writes its revision, then mvcpy db upgrade",
                    fatal=True,
                )
        return CheckResult("jobs", True, f"{len(jobs)} job(s), the queue in PostgreSQL")
    if app.env == "prod":
        return CheckResult(
            "jobs",
            False,
            f"[jobs] backend is {engine.backend}: jobs would be lost when the server stops "
            "(and each worker process would run every cron tick); keep them in PostgreSQL "
            "([database] url = 'postgresql+psycopg://...', [jobs] backend = 'auto')",
            fatal=True,
        )
    return CheckResult("jobs", True, f"{engine.backend} backend (development only)")
