"""The job engine: mvcpy's jobs on procrastinate, behind mvcpy's own small API.

Backends (``[jobs] backend``, docs/jobs.md):

- ``postgres``: jobs live in the application's PostgreSQL database (procrastinate's
  tables), written in the transaction of the unit of work that sent them; ``mvcpy worker``
  processes take them with ``SELECT ... FOR UPDATE SKIP LOCKED`` and are woken by
  ``LISTEN/NOTIFY``.
- ``inprocess``: procrastinate's in-memory queue and a worker inside the server process
  (development on SQLite): same retries, delays, keys and cron, nothing survives a restart.
- ``memory``: jobs wait in a list until a test runs them (the ``jobs`` fixture).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ctypes
import datetime as dt
import functools
import logging
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvcpy.jobs.context import JobContext
from mvcpy.jobs.declare import REGISTRY, Job, _Options, use_default_queue
from mvcpy.jobs.enqueue import Pending, attach
from mvcpy.unit_of_work import Unit, current_unit

if TYPE_CHECKING:
    from procrastinate import App as ProcrastinateApp
    from procrastinate.jobs import Job as QueueRow
    from sqlalchemy import Connection

    from mvcpy.components import Services
    from mvcpy.config.settings import Config
    from mvcpy.jobs.settings import JobsSettings

__all__ = ["JobEngine", "JobTimeout", "QueuedJob"]

logger = logging.getLogger("mvcpy.jobs")

_EXTRA = "pip install 'mvcpy-web[jobs]'"


class JobTimeout(Exception):
    """A job ran longer than its ``timeout``: it is stopped and counts as failed."""


@dataclass
class QueuedJob:
    """A job waiting in the ``memory`` backend (what the ``jobs`` fixture shows)."""

    name: str
    arguments: dict[str, Any]
    queue: str
    priority: int
    key: str | None
    run_at: dt.datetime | None = None
    attempts: int = field(default=0)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _interrupt(thread_id: int, exc_type: type[BaseException]) -> None:
    """Raise ``exc_type`` in another thread at its next Python instruction (a thread that is
    blocked in C, a socket read say, gets it when that call returns)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type)
    )


class JobEngine:
    """Send, run and list jobs for one app (the ``jobs`` service)."""

    def __init__(
        self,
        settings: JobsSettings,
        backend: str,
        services: Services,
        config: Config,
        database_url: Callable[[], str],
        root_path: Path,
    ) -> None:
        self.settings = settings
        #: postgres | inprocess | memory (``auto`` resolved)
        self.backend = backend
        self.services = services
        self.config = config
        self._database_url = database_url
        self._root = root_path.resolve()
        self._modules = tuple(settings.modules)
        self._owned: dict[str, bool] = {}
        self._papp: ProcrastinateApp | None = None
        self._registered: set[str] = set()
        self._concurrency = settings.concurrency  # a worker's, when it chose another
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        #: the ``memory`` backend's queue, oldest first
        self.queued: list[QueuedJob] = []
        #: called after each run with ``(job name, outcome, seconds)`` (the metrics)
        self.observers: list[Callable[[str, str, float], None]] = []
        use_default_queue(self)

    def owns(self, job: Job) -> bool:
        """Whether ``job`` is this app's: declared in a module under the project's folder,
        in a module or package of ``[jobs] modules``, or outside any file (the shell)."""
        owned = self._owned.get(job.name)
        if owned is None:
            module = job.fn.__module__
            file = getattr(sys.modules.get(module), "__file__", None)
            owned = self._owned[job.name] = (
                file is None
                or Path(file).resolve().is_relative_to(self._root)
                or any(module == m or module.startswith(m + ".") for m in self._modules)
            )
        return owned

    @property
    def jobs(self) -> dict[str, Job]:
        """This app's declared jobs, by name (what its workers run)."""
        return {name: job for name, job in list(REGISTRY.items()) if self.owns(job)}

    @property
    def in_database(self) -> bool:
        """Whether jobs are written into the sending transaction (the postgres backend)."""
        return self.backend == "postgres"

    # -- sending ---------------------------------------------------------------------
    def enqueue(self, job: Job, arguments: dict[str, Any], options: _Options) -> None:
        """Queue ``job`` with the current unit of work, or at once outside one."""
        if not self.owns(job):
            raise LookupError(
                f"job {job.name} is not one of this app's jobs (its module is outside the "
                f"project at {self._root}): list its module in [jobs] modules"
            )
        pending = Pending(self, job, arguments, options)
        unit: Unit | None = current_unit.get()
        if unit is not None:
            session = unit.adb.sync_session if _on_event_loop() else unit.db
            attach(session, pending)
        elif self.in_database:
            with self.services["database"].session() as session:
                attach(session, pending)
                session.commit()
        else:
            self.hand_off([pending])

    def write(self, connection: Connection, items: Sequence[Pending]) -> None:
        """Insert ``items`` into procrastinate's table through ``connection`` (the sending
        transaction); a job whose key is already waiting is skipped."""
        from procrastinate import exceptions, manager, psycopg_connector, sync_psycopg_connector

        from mvcpy.orm.outside import begin_writes

        begin_writes(connection)  # a session that read outside a transaction until now
        raw: Any = connection.connection.driver_connection
        rows = [self._row(item) for item in items]
        on_asyncpg = connection.dialect.driver == "asyncpg"
        if on_asyncpg or isinstance(raw, _async_connection_type()):
            from sqlalchemy.util import await_only

            if on_asyncpg:
                defer, refused = _asyncpg_defer(raw), _refused_on_asyncpg
            else:
                jobs = manager.JobManager(psycopg_connector.PsycopgConnector())
                defer = functools.partial(jobs.batch_defer_jobs_async, connection=raw)
                refused = _already_enqueued
            await_only(_defer_async(raw, rows, defer, refused))
            return
        sync_jobs = manager.JobManager(sync_psycopg_connector.SyncPsycopgConnector())
        plain = [row for row in rows if row.queueing_lock is None]
        if plain:
            sync_jobs.batch_defer_jobs(plain, connection=raw)
        for row in rows:
            if row.queueing_lock is not None:
                try:
                    with raw.transaction():  # a savepoint: a refused key keeps the rest
                        sync_jobs.batch_defer_jobs([row], connection=raw)
                except exceptions.AlreadyEnqueued:
                    _skipped(row)

    def hand_off(self, items: Sequence[Pending]) -> None:
        """Queue committed ``items`` in memory (the memory and inprocess backends)."""
        if self.backend == "memory":
            with self._lock:
                for item in items:
                    key = item.options.key
                    if key is not None and any(q.key == key for q in self.queued):
                        _skipped_key(item.job.name, key)
                        continue
                    self.queued.append(
                        QueuedJob(
                            item.job.name,
                            item.arguments,
                            item.options.queue,
                            item.options.priority,
                            key,
                            _run_at(item.options),
                        )
                    )
            return
        loop = self._loop
        if loop is None:
            logger.warning(
                "%d job(s) sent with no server running in this process: the inprocess "
                "backend runs jobs inside `mvcpy run` only; they are dropped",
                len(items),
            )
            return
        rows = [self._row(item) for item in items]
        loop.call_soon_threadsafe(self._defer_in_memory, rows)

    def _defer_in_memory(self, rows: list[QueueRow]) -> None:
        task = asyncio.get_running_loop().create_task(self._defer_rows(rows))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _defer_rows(self, rows: list[QueueRow]) -> None:
        from procrastinate import exceptions

        jobs = self.procrastinate().job_manager
        for row in rows:
            try:
                await jobs.defer_job_async(row)
            except exceptions.AlreadyEnqueued:
                _skipped(row)

    def _row(self, item: Pending) -> QueueRow:
        from procrastinate.jobs import Job as Row

        return Row(
            id=None,
            queue=item.options.queue,
            lock=None,
            queueing_lock=item.options.key,
            task_name=item.job.name,
            priority=item.options.priority,
            task_kwargs=item.arguments,
            scheduled_at=_run_at(item.options),
        )

    # -- running ---------------------------------------------------------------------
    @property
    def executor(self) -> Executor:
        """The threads sync jobs run on (``[jobs] concurrency`` of them)."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.settings.concurrency, thread_name_prefix="mvcpy-job"
                )
            return self._executor

    async def perform(
        self,
        job: Job,
        stored: dict[str, Any],
        *,
        job_id: int | None = None,
        attempts: int = 0,
        scheduled_at: dt.datetime | None = None,
    ) -> Any:
        """Run ``job`` once with its stored arguments, in its own unit of work, within its
        time limit; raise what it raised (or :class:`JobTimeout`). Each of
        :attr:`observers` then hears ``(name, outcome, seconds)``: succeeded, failed,
        timed_out or stopped."""
        start = time.perf_counter()
        outcome = "failed"
        try:
            result = await self._perform(job, stored, job_id, attempts, scheduled_at)
            outcome = "succeeded"
            return result
        except JobTimeout:
            outcome = "timed_out"
            raise
        except asyncio.CancelledError:
            outcome = "stopped"
            raise
        finally:
            seconds = time.perf_counter() - start
            for observe in self.observers:
                try:
                    observe(job.name, outcome, seconds)
                except Exception:
                    logger.exception("job observer %r failed", observe)

    async def _perform(
        self,
        job: Job,
        stored: dict[str, Any],
        job_id: int | None,
        attempts: int,
        scheduled_at: dt.datetime | None,
    ) -> Any:
        ctx = JobContext(
            name=job.name,
            job_id=job_id,
            attempts=attempts,
            scheduled_at=scheduled_at,
            services=self.services,
            config=self.config,
            executor=self.executor,
        )
        kwargs = job.load(stored)
        args = (ctx,) if job.takes_context else ()
        timeout = job.timeout or self.settings.timeout
        if not job.is_async:
            return await self._perform_sync(job, ctx, args, kwargs, timeout)
        token = current_unit.set(ctx)
        try:
            async with asyncio.timeout(timeout) as limit:
                result = await job.fn(*args, **kwargs)
        except BaseException as exc:
            await ctx.end_async(False)
            if isinstance(exc, TimeoutError) and limit.expired():
                raise JobTimeout(f"job {job.name} ran longer than {timeout:g} s") from None
            raise
        finally:
            current_unit.reset(token)
        await ctx.end_async(True)
        return result

    async def _perform_sync(
        self,
        job: Job,
        ctx: JobContext,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout: float,
    ) -> Any:
        thread: list[int] = []
        done = threading.Event()

        def body() -> Any:
            thread.append(threading.get_ident())
            token = current_unit.set(ctx)
            try:
                result = job.fn(*args, **kwargs)
                ctx.end(True)
                return result
            except BaseException:
                ctx.end(False)
                raise
            finally:
                current_unit.reset(token)
                done.set()

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, contextvars.copy_context().run, body)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            stop = JobTimeout if isinstance(exc, TimeoutError) else asyncio.CancelledError
            if not thread:  # still waiting for a thread (all busy): it never starts
                future.cancel()
            elif not done.is_set():
                _interrupt(thread[0], stop)
            with contextlib.suppress(BaseException):  # what it raises is the stop just sent
                await future  # the thread unwinds and rolls its session back
            if stop is JobTimeout:
                raise JobTimeout(f"job {job.name} ran longer than {timeout:g} s") from None
            raise

    # -- procrastinate ---------------------------------------------------------------
    def procrastinate(self) -> ProcrastinateApp:
        """The procrastinate app behind the engine, with every declared job registered."""
        if self._papp is None:
            try:
                import procrastinate
            except ImportError as exc:
                raise ImportError(f"jobs need procrastinate: {_EXTRA}") from exc
            if self.backend == "postgres":
                # procrastinate's default pool (4 connections) grown for the worker's jobs:
                # each holds one to fetch and one to finish, beside the listener's
                connector: Any = procrastinate.PsycopgConnector(
                    conninfo=self._database_url(), max_size=max(4, self._concurrency + 2)
                )
            else:
                from procrastinate import testing

                connector = testing.InMemoryConnector()
            self._papp = procrastinate.App(
                connector=connector,
                periodic_defaults={"max_delay": self.settings.missed_ticks_within},
            )
        self._register(self._papp)
        return self._papp

    def _register(self, papp: ProcrastinateApp) -> None:
        from procrastinate import RetryStrategy

        for name, job in self.jobs.items():
            if name in self._registered:
                continue
            retries = self.settings.retries if job.retries is None else job.retries
            retry = (
                RetryStrategy(max_attempts=retries, exponential_wait=self.settings.retry_backoff)
                if retries
                else False
            )
            task = papp.task(
                name=name, queue=job.queue, priority=job.priority, pass_context=True, retry=retry
            )(self._runner(job))
            if job.schedule is not None:
                self._schedule(papp, task, job)
            self._registered.add(name)

    def _schedule(self, papp: ProcrastinateApp, task: Any, job: Job) -> None:
        from zoneinfo import ZoneInfo

        from croniter import croniter

        assert job.schedule is not None
        papp.periodic(cron=job.schedule.expression, periodic_id=job.name)(task)
        zone = ZoneInfo(job.schedule.timezone or self.settings.timezone)
        periodic = papp.periodic_registry.periodic_tasks[(job.name, job.name)]
        # procrastinate reads cron in UTC; a croniter started in the zone reads it there
        # (its daylight-saving changes included).
        vars(periodic)["croniter"] = croniter(job.schedule.expression, dt.datetime.now(zone))

    def _runner(self, job: Job) -> Callable[..., Any]:
        engine = self

        async def run(context: Any, **stored: Any) -> Any:
            tick = stored.pop("timestamp", None) if job.schedule is not None else None
            return await engine.perform(
                job,
                stored,
                job_id=context.job.id,
                attempts=context.job.attempts,
                scheduled_at=dt.datetime.fromtimestamp(tick, dt.UTC) if tick else None,
            )

        run.__name__ = run.__qualname__ = job.name
        return run

    def worker_options(
        self, *, concurrency: int | None = None, queues: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """procrastinate's worker options from ``[jobs]`` (and the command line)."""
        chosen = list(queues or self.settings.queues)
        return {
            "queues": chosen or None,
            "concurrency": concurrency or self.settings.concurrency,
            "shutdown_graceful_timeout": self.settings.shutdown_timeout,
            "update_heartbeat_interval": self.settings.heartbeat,
            "stalled_worker_timeout": self.settings.stalled_after,
            "fetch_job_polling_interval": 2.0,
            "abort_job_polling_interval": 2.0,
        }

    async def recover_stalled(self) -> int:
        """Put back in the queue the jobs of workers that stopped sending heartbeats (killed,
        or on a machine that vanished); return how many. Jobs run at least once."""
        from procrastinate import exceptions

        manager = self.procrastinate().job_manager
        stalled = await manager.get_stalled_jobs(
            seconds_since_heartbeat=self.settings.stalled_after
        )
        count = 0
        for row in stalled:
            try:
                await manager.retry_job(row)
            except exceptions.ConnectorException:  # another worker put it back first
                continue
            logger.warning(
                "job %s [%s] was running on a dead worker: queued again", row.task_name, row.id
            )
            count += 1
        return count

    async def _recover_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat)
            try:
                await self.recover_stalled()
            except Exception:
                logger.exception("could not look for the jobs of dead workers")

    async def work(
        self,
        *,
        concurrency: int | None = None,
        queues: Iterable[str] | None = None,
        wait: bool = True,
        install_signal_handlers: bool = True,
    ) -> None:
        """Run a worker until it is stopped (SIGINT, SIGTERM: the jobs in progress get
        ``[jobs] shutdown_timeout`` seconds, then go back to the queue); with
        ``wait=False``, until the queues are empty."""
        self._loop = asyncio.get_running_loop()
        if concurrency and self._papp is None:
            self._concurrency = concurrency
        papp = self.procrastinate()
        async with papp.open_async():
            recover = asyncio.create_task(self._recover_forever())
            try:
                await self.recover_stalled()
                await papp.run_worker_async(
                    **self.worker_options(concurrency=concurrency, queues=queues),
                    wait=wait,
                    install_signal_handlers=install_signal_handlers,
                )
            finally:
                recover.cancel()
                await asyncio.gather(recover, return_exceptions=True)

    # -- the inprocess backend ---------------------------------------------------------
    async def start_in_process(self) -> None:
        """Start a worker inside the server process (the inprocess backend)."""
        self._loop = asyncio.get_running_loop()
        papp = self.procrastinate()
        await papp.open_async()
        logger.warning(
            "jobs run inside this server process ([jobs] backend = 'inprocess'): they are "
            "lost when it stops; in production keep them in PostgreSQL (docs/jobs.md)"
        )
        task = self._loop.create_task(
            papp.run_worker_async(**self.worker_options(), install_signal_handlers=False)
        )
        self._tasks.add(task)

    async def stop(self) -> None:
        """Stop the in-process worker and the threads of sync jobs."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._papp is not None and self.backend == "inprocess":
            await self._papp.close_async()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._loop = None

    # -- what the operations page shows ------------------------------------------------
    async def overview(self) -> dict[str, Any]:
        """The jobs waiting, running and failed, by queue, and each cron job's next tick
        (``mvcpy.ops``)."""
        from zoneinfo import ZoneInfo

        from croniter import croniter

        cron = []
        for name, job in sorted(self.jobs.items()):
            if job.schedule is None:
                continue
            zone = job.schedule.timezone or self.settings.timezone
            now = dt.datetime.now(ZoneInfo(zone))
            upcoming = croniter(job.schedule.expression, now).get_next(dt.datetime)
            cron.append(
                {"job": name, "cron": job.schedule.expression, "timezone": zone,
                 "next": upcoming.isoformat(timespec="minutes")}
            )  # fmt: skip
        return {"backend": self.backend, "queues": await self._queue_counts(), "cron": cron}

    async def _queue_counts(self) -> list[dict[str, Any]]:
        counts: dict[str, dict[str, int]] = {}
        if self.backend == "memory":
            with self._lock:
                for item in self.queued:
                    row = counts.setdefault(item.queue, {})
                    row["todo"] = row.get("todo", 0) + 1
        elif self.backend == "postgres":
            import psycopg

            connection = await psycopg.AsyncConnection.connect(self._database_url())
            async with connection:
                cursor = await connection.execute(
                    "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
                    "WHERE status IN ('todo', 'doing', 'failed') GROUP BY 1, 2"
                )
                for queue, status, count in await cursor.fetchall():
                    counts.setdefault(queue, {})[status] = count
        elif self._papp is not None and self._tasks:  # the in-process worker has it open
            for queue_row in await self._papp.job_manager.list_queues_async():
                counts[queue_row["name"]] = {
                    k: queue_row[k] for k in ("todo", "doing", "failed") if queue_row[k]
                }
        return [
            {"queue": queue, **{k: row.get(k, 0) for k in ("todo", "doing", "failed")}}
            for queue, row in sorted(counts.items())
        ]

    # -- the memory backend ------------------------------------------------------------
    async def run_queued(self) -> list[QueuedJob]:
        """Run the ``memory`` backend's jobs, oldest first, including those they send, and
        return them. A job that raises stops the run with its error; the jobs after it
        stay queued."""
        ran: list[QueuedJob] = []
        while True:
            with self._lock:
                if not self.queued:
                    return ran
                item = self.queued.pop(0)
            job = self.jobs.get(item.name)
            if job is None:
                raise LookupError(f"no job named {item.name!r} is declared")
            await self.perform(job, item.arguments, attempts=item.attempts)
            ran.append(item)


def _run_at(options: _Options) -> dt.datetime | None:
    if options.at is not None:
        return options.at
    if options.delay:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=options.delay)
    return None


async def _defer_async(
    raw: Any,
    rows: Sequence[QueueRow],
    defer: Callable[[list[QueueRow]], Awaitable[Any]],
    refused: Callable[[Exception], bool],
) -> None:
    """Write ``rows`` through the async connection ``raw`` with ``defer``: those without
    a key at once, each keyed one in a savepoint, so a key already waiting (``refused``)
    skips that job and keeps the rest of the transaction."""
    plain = [row for row in rows if row.queueing_lock is None]
    if plain:
        await defer(plain)
    for row in rows:
        if row.queueing_lock is not None:
            try:
                async with raw.transaction():  # a savepoint
                    await defer([row])
            except Exception as exc:
                if not refused(exc):
                    raise
                _skipped(row)


def _already_enqueued(exc: Exception) -> bool:
    from procrastinate.exceptions import AlreadyEnqueued

    return isinstance(exc, AlreadyEnqueued)


#: procrastinate's defer (its ``defer_jobs`` query), with asyncpg's placeholder
_DEFER_ON_ASYNCPG = (
    "SELECT unnest(procrastinate_defer_jobs_v1($1::procrastinate_job_to_defer_v1[])) AS id"
)


def _asyncpg_defer(raw: Any) -> Callable[[list[QueueRow]], Awaitable[Any]]:
    """procrastinate's defer through an asyncpg connection (``[database] async_url`` on
    asyncpg), for which procrastinate has no connector: its own SQL function, each job a
    ``procrastinate_job_to_defer_v1`` record."""
    import json

    def record(row: QueueRow) -> tuple[Any, ...]:
        args = json.dumps(row.task_kwargs)  # SQLAlchemy's jsonb codec takes text
        return (row.queue, row.task_name, row.priority, row.lock, row.queueing_lock, args,
                row.scheduled_at)  # fmt: skip

    async def defer(rows: list[QueueRow]) -> Any:
        return await raw.fetch(_DEFER_ON_ASYNCPG, [record(row) for row in rows])

    return defer


def _refused_on_asyncpg(exc: Exception) -> bool:
    """Whether asyncpg refused a job because one with its key is waiting."""
    import asyncpg
    from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT

    return (
        isinstance(exc, asyncpg.UniqueViolationError)
        and exc.constraint_name == QUEUEING_LOCK_CONSTRAINT
    )


def _skipped(row: QueueRow) -> None:
    _skipped_key(row.task_name, row.queueing_lock)


def _skipped_key(name: str, key: str | None) -> None:
    logger.info("job %s not queued: one with the key %r is already waiting", name, key)


def _async_connection_type() -> type[Any]:
    from psycopg import AsyncConnection

    return AsyncConnection
