"""The ``jobs`` fixture's object: what the app enqueued, and running it on demand."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mvcpy.jobs.engine import JobEngine, QueuedJob

__all__ = ["EnqueuedJobs"]


class EnqueuedJobs:
    """The jobs an app queued during a test (``[jobs] backend = "memory"``, the default
    under ``MVCPY_ENV=test``): look at them, run them, forget them."""

    def __init__(self, engine: JobEngine) -> None:
        self.engine = engine

    @property
    def queued(self) -> list[QueuedJob]:
        """The jobs waiting, oldest first (name, arguments, queue, priority, key, run_at)."""
        return list(self.engine.queued)

    def names(self) -> list[str]:
        """The names of the jobs waiting, oldest first (``module.function``)."""
        return [item.name for item in self.engine.queued]

    def run(self) -> list[QueuedJob]:
        """Run every waiting job now, and those they send, oldest first; return them. A job
        that raises stops the run with its error (the ones after it stay queued)."""
        return asyncio.run(self._run_in_new_loop())

    async def _run_in_new_loop(self) -> list[QueuedJob]:
        database = self.engine.services["database"]
        had_async_engine = database._async_engine is not None
        try:
            return await self.engine.run_queued()
        finally:
            if not had_async_engine and database._async_engine is not None:
                # async jobs opened connections on this loop, which ends here: close them
                await database.dispose()

    async def arun(self) -> list[QueuedJob]:
        """:meth:`run`, from an async test."""
        return await self.engine.run_queued()

    def clear(self) -> None:
        """Forget the waiting jobs."""
        self.engine.queued.clear()

    def __len__(self) -> int:
        return len(self.engine.queued)
