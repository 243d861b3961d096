"""What a running job receives: :class:`JobContext`, the job's unit of work."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mvcpy.components import Services
    from mvcpy.config.section import Section
    from mvcpy.config.settings import Config
    from mvcpy.orm.request import RequestDB
    from mvcpy.orm.session import AsyncDbSession, DbSession
    from mvcpy.orm.sql import AsyncSql, Sql

__all__ = ["JobContext"]

S = TypeVar("S", bound="Section")


class JobContext:
    """A running job's context: its sessions (committed when the job returns, rolled back
    when it raises, like an action's), the app's settings and services, and which job
    this is.

    Jobs sent from the job join its unit of work: they are queued only if it commits.
    """

    def __init__(
        self,
        *,
        name: str,
        job_id: int | None,
        attempts: int,
        scheduled_at: dt.datetime | None,
        services: Services,
        config: Config,
        executor: Executor | None = None,
    ) -> None:
        #: the job's name (``module.function``)
        self.name = name
        #: the job's id in the queue (None when a test runs it)
        self.job_id = job_id
        #: how many times it ran before this attempt (0 the first time)
        self.attempts = attempts
        #: a cron job's tick (time-zone aware, UTC); None for a sent job
        self.scheduled_at = scheduled_at
        #: the app's services (``services["mail"]``, ``services["cache"]``...)
        self.services = services
        self._config = config
        #: where the job's sessions end what must not run on the event loop
        self._executor = executor
        self._scope: RequestDB | None = None

    def settings(self, model: type[S]) -> S:
        """The app's settings section of type ``model`` (``ctx.settings(MailSettings)``)."""
        return self._config.section_of(model)

    @property
    def mail(self) -> Any:
        """The app's mailer (``[mail]``)."""
        return self.services["mail"]

    @property
    def cache(self) -> Any:
        """The app's cache (``[cache]``)."""
        return self.services["cache"]

    def _db_scope(self) -> RequestDB:
        scope = self._scope
        if scope is None:
            scope = self._scope = self.services["database"].request_scope(self._executor)
        return scope

    @property
    def db(self) -> DbSession:
        """The job's database session, opened on first use."""
        return self._db_scope().session(None)  # type: ignore[arg-type]

    @property
    def adb(self) -> AsyncDbSession:
        """The job's async database session (for ``async def`` jobs)."""
        return self._db_scope().async_session(None)  # type: ignore[arg-type]

    @property
    def sql(self) -> Sql:
        """The job's runner of compiled statements (mvcpy.orm.sql), in its transaction."""
        return self._db_scope().sql(None)  # type: ignore[arg-type]

    @property
    def asql(self) -> AsyncSql:
        """The job's runner of compiled statements, awaited (for ``async def`` jobs)."""
        return self._db_scope().async_sql(None)  # type: ignore[arg-type]

    def end(self, ok: bool) -> None:
        """Commit (``ok``) or roll back the job's sync session, from its thread."""
        if self._scope is not None:
            self._scope.end(ok)

    async def end_async(self, ok: bool) -> None:
        """Commit (``ok``) or roll back the job's sessions, from the event loop."""
        if self._scope is not None:
            await self._scope.end_async(ok)

    def __repr__(self) -> str:
        return f"<JobContext {self.name} id={self.job_id} attempts={self.attempts}>"
