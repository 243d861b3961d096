"""Declaring jobs: ``@job``, ``@cron`` and ``@every`` turn plain functions into :class:`Job`.

A job is declared where it is written, not on the app: the modules that define jobs are
imported by controllers, which the app module imports, so ``@app.job`` would be an
import cycle (the reason Celery has ``shared_task`` and procrastinate blueprints). Every
declared job lands in :data:`REGISTRY`; the jobs component hands them to the engine.

Arguments are checked and turned into JSON when the job is sent, by pydantic, against the
function's annotations: a bad argument fails in the request that sends it, not later in
a worker, and a parameter annotated with a pydantic model (a date, a UUID...) receives
one again when the job runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, overload

from pydantic import TypeAdapter, ValidationError

from mvcpy.jobs.settings import check_zone
from mvcpy.unit_of_work import current_unit

__all__ = [
    "REGISTRY",
    "Job",
    "JobArgumentError",
    "JobQueue",
    "Schedule",
    "Sender",
    "cron",
    "every",
    "job",
    "use_default_queue",
]

#: Every declared job, by name.
REGISTRY: dict[str, Job] = {}

#: The priorities procrastinate stores (a PostgreSQL integer)
_PRIORITY_RANGE = (-(2**31), 2**31 - 1)


class JobQueue(Protocol):
    """Where sent jobs go: the app's job engine (mvcpy.jobs.engine)."""

    def enqueue(self, job: Job, arguments: dict[str, Any], options: _Options) -> None:
        """Queue ``job`` with the current unit of work, or at once outside one."""
        ...


#: the queue of jobs sent outside any unit of work (a script, the shell): the last built
_default_queue: JobQueue | None = None


def use_default_queue(queue: JobQueue) -> None:
    """Send the jobs sent outside any unit of work to ``queue``."""
    global _default_queue
    _default_queue = queue


def _queue() -> JobQueue:
    """The queue of the unit of work running now (a request's app, a job's), else the default."""
    unit = current_unit.get()
    if unit is not None:
        services = getattr(unit, "services", None) or unit.app.services  # type: ignore[attr-defined]
        queue: JobQueue = services["jobs"]
        return queue
    if _default_queue is None:
        raise RuntimeError(
            "no app has jobs yet: build the app (mvcpy.App) before sending a job from a script"
        )
    return _default_queue


class JobArgumentError(TypeError):
    """A job was sent with arguments its function does not take, or that are not JSON."""


@dataclass(frozen=True)
class Schedule:
    """When a cron job runs: a cron expression in a time zone (None: ``[jobs] timezone``)."""

    expression: str
    timezone: str | None = None


@dataclass(frozen=True)
class _Options:
    queue: str
    priority: int
    key: str | None
    delay: float | None
    at: dt.datetime | None


class Job:
    """A function that runs in a worker: ``send`` it, or let a schedule send it.

    The function may be sync (run on one of the worker's threads) or async; its first
    parameter may be annotated :class:`~mvcpy.jobs.JobContext` to receive the job's
    context (database sessions committed with the job, settings, services).
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        queue: str = "default",
        priority: int = 0,
        retries: int | None = None,
        timeout: float | None = None,
        unique: bool = False,
        schedule: Schedule | None = None,
    ) -> None:
        if retries is not None and retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        _check_priority(priority)
        self.fn = fn
        self.name = name or f"{fn.__module__}.{fn.__qualname__}"
        self.queue = queue
        self.priority = priority
        self.retries = retries
        self.timeout = timeout
        self.unique = unique
        self.schedule = schedule
        self.is_async = inspect.iscoroutinefunction(fn)
        self.takes_context, self._params = _parameters(fn)
        if schedule is not None and self._params:
            raise TypeError(
                f"cron job {self.name} takes {', '.join(self._params)}: a scheduled job "
                "receives no arguments (only its JobContext)"
            )
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function directly, here and now (not as a job)."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Job {self.name} queue={self.queue!r}>"

    def using(
        self,
        *,
        key: str | None = None,
        queue: str | None = None,
        priority: int | None = None,
    ) -> Sender:
        """Send with other options: ``job.using(key="order-42").send(42)``.

        ``key``: while a job with this key waits in the queue, sending another is a
        no-op (an idempotency key); ``queue`` and ``priority`` (higher runs first) override
        the declaration's.
        """
        if priority is not None:
            _check_priority(priority)
        return Sender(
            self,
            _Options(
                queue=queue or self.queue,
                priority=self.priority if priority is None else priority,
                key=key,
                delay=None,
                at=None,
            ),
        )

    def send(self, *args: Any, **kwargs: Any) -> None:
        """Enqueue the job with these arguments, checked now.

        Inside an action or a job it joins that unit of work: it is queued if and only if
        the unit commits.
        """
        self.using().send(*args, **kwargs)

    def send_in(self, seconds: float | dt.timedelta, *args: Any, **kwargs: Any) -> None:
        """Enqueue the job to run no sooner than ``seconds`` from now."""
        self.using().send_in(seconds, *args, **kwargs)

    def send_at(self, when: dt.datetime, *args: Any, **kwargs: Any) -> None:
        """Enqueue the job to run no sooner than ``when`` (a time-zone-aware datetime)."""
        self.using().send_at(when, *args, **kwargs)

    def arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Bind and check the arguments; return them as JSON-ready keyword arguments."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise JobArgumentError(f"job {self.name}: {exc}") from None
        out: dict[str, Any] = {}
        for param, value in bound.arguments.items():
            adapter = self._params[param]
            try:
                out[param] = adapter.dump_python(adapter.validate_python(value), mode="json")
            except (ValidationError, ValueError, TypeError) as exc:
                raise JobArgumentError(
                    f"job {self.name}: argument {param}={value!r} cannot be sent: {exc}"
                ) from None
        try:
            json.dumps(out)
        except (TypeError, ValueError) as exc:
            raise JobArgumentError(f"job {self.name}: arguments are not JSON: {exc}") from None
        return out

    def load(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Turn stored JSON arguments back into what the function's annotations ask for."""
        return {
            name: self._params[name].validate_python(value)
            for name, value in stored.items()
            if name in self._params
        }

    def unique_key(self, arguments: dict[str, Any]) -> str:
        """The key a ``unique=True`` job is queued under: its name and its arguments."""
        canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        return f"{self.name}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"

    @property
    def _signature(self) -> inspect.Signature:
        sig = inspect.signature(self.fn)
        params = list(sig.parameters.values())
        return sig.replace(parameters=params[1:] if self.takes_context else params)


class Sender:
    """A job with sending options chosen (:meth:`Job.using`)."""

    def __init__(self, job: Job, options: _Options) -> None:
        self.job = job
        self.options = options

    def send(self, *args: Any, **kwargs: Any) -> None:
        """Enqueue the job now (see :meth:`Job.send`)."""
        arguments = self.job.arguments(args, kwargs)
        options = self.options
        if options.key is None and self.job.unique:
            options = replace(options, key=self.job.unique_key(arguments))
        _queue().enqueue(self.job, arguments, options)

    def send_in(self, seconds: float | dt.timedelta, *args: Any, **kwargs: Any) -> None:
        """Enqueue the job to run no sooner than ``seconds`` from now."""
        delay = seconds.total_seconds() if isinstance(seconds, dt.timedelta) else float(seconds)
        if delay < 0:
            raise ValueError(f"a delay cannot be negative, got {delay}")
        Sender(self.job, replace(self.options, delay=delay)).send(*args, **kwargs)

    def send_at(self, when: dt.datetime, *args: Any, **kwargs: Any) -> None:
        """Enqueue the job to run no sooner than ``when`` (time-zone aware)."""
        if when.tzinfo is None:
            raise ValueError("send_at needs a time-zone-aware datetime (e.g. tzinfo=UTC)")
        Sender(self.job, replace(self.options, at=when)).send(*args, **kwargs)


def _check_priority(priority: int) -> None:
    if not _PRIORITY_RANGE[0] <= priority <= _PRIORITY_RANGE[1]:
        raise ValueError(f"priority must fit in 32 bits, got {priority}")


def _parameters(fn: Callable[..., Any]) -> tuple[bool, dict[str, TypeAdapter[Any]]]:
    """Whether ``fn`` takes a JobContext first, and a validator per other parameter."""
    from mvcpy.jobs.context import JobContext

    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: check those parameters as Any
        hints = {}
    params = list(inspect.signature(fn).parameters.values())
    takes_context = bool(params) and (
        hints.get(params[0].name) is JobContext
        or params[0].annotation in ("JobContext", "mvcpy.jobs.JobContext")
    )
    adapters: dict[str, TypeAdapter[Any]] = {}
    for param in params[1:] if takes_context else params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"job {fn.__qualname__}: *args and **kwargs cannot be sent as JSON")
        adapters[param.name] = TypeAdapter(hints.get(param.name, Any))
    return takes_context, adapters


def _declarer(**options: Any) -> Callable[[Callable[..., Any]], Job]:
    """The decorator that turns a function into a registered :class:`Job` with ``options``."""

    def declare(fn: Callable[..., Any]) -> Job:
        declared = Job(fn, **options)
        REGISTRY[declared.name] = declared
        return declared

    return declare


@overload
def job(fn: Callable[..., Any], /) -> Job: ...


@overload
def job(
    *,
    name: str | None = None,
    queue: str = "default",
    priority: int = 0,
    retries: int | None = None,
    timeout: float | None = None,
    unique: bool = False,
) -> Callable[[Callable[..., Any]], Job]: ...


def job(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    queue: str = "default",
    priority: int = 0,
    retries: int | None = None,
    timeout: float | None = None,
    unique: bool = False,
) -> Job | Callable[[Callable[..., Any]], Job]:
    """Declare a job: ``@job`` or ``@job(queue="mail", retries=5, timeout=30)``.

    ``retries`` and ``timeout`` default to ``[jobs] retries`` and ``[jobs] timeout``;
    ``unique=True`` keeps one job with the same arguments waiting at a time.
    """

    declare = _declarer(
        name=name, queue=queue, priority=priority, retries=retries, timeout=timeout, unique=unique
    )
    return declare(fn) if fn is not None else declare


def cron(
    expression: str,
    *,
    timezone: str | None = None,
    name: str | None = None,
    queue: str = "default",
    priority: int = 0,
    retries: int | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Job]:
    """Run the decorated function on a schedule: ``@cron("*/5 * * * *")``.

    Five fields (minute hour day month weekday), or six with seconds last; ``timezone``
    defaults to ``[jobs] timezone``. Each tick runs once across every worker.
    """
    _check_expression(expression)
    if timezone is not None:
        check_zone(timezone)
    return _declarer(
        name=name,
        queue=queue,
        priority=priority,
        retries=retries,
        timeout=timeout,
        schedule=Schedule(expression, timezone),
    )


def every(
    *,
    seconds: int = 0,
    minutes: int = 0,
    hours: int = 0,
    days: int = 0,
    **options: Any,
) -> Callable[[Callable[..., Any]], Job]:
    """Run the decorated function at a fixed interval aligned to the clock:
    ``@every(minutes=5)`` is ``@cron("*/5 * * * *")`` (ticks at :00, :05, ...).

    Give one unit; it must divide the next one (seconds and minutes divide 60, hours
    divide 24), and ``days=1`` is midnight. Other options are those of :func:`cron`.
    """
    given = [(unit, n) for unit, n in (("seconds", seconds), ("minutes", minutes),
                                       ("hours", hours), ("days", days)) if n]  # fmt: skip
    if len(given) != 1:
        raise ValueError("every() takes exactly one of seconds=, minutes=, hours=, days=")
    unit, n = given[0]
    limit = {"seconds": 60, "minutes": 60, "hours": 24, "days": 1}[unit]
    if n < 0 or limit % n:
        raise ValueError(
            f"every({unit}={n}): the interval must divide {limit} to stay aligned to the "
            f"clock; use @cron for other schedules"
        )
    step = "*" if n == 1 else f"*/{n}"
    expression = {
        "seconds": f"* * * * * {step}",
        "minutes": f"{step} * * * *",
        "hours": f"0 {step} * * *",
        "days": "0 0 * * *",
    }[unit]
    return cron(expression, **options)


def _check_expression(expression: str) -> None:
    try:
        from croniter import croniter
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("cron jobs need procrastinate: pip install 'mvcpy-web[jobs]'") from exc

    if not croniter.is_valid(expression):
        raise ValueError(f"not a cron expression: {expression!r} (e.g. '*/5 * * * *')")
