"""The health check route for load balancers: ``GET /healthz`` answers 200 or 503.

Turned on by ``[health] enabled = true`` or by calling :meth:`mvcpy.App.health_check`.
Each check is a function of the app, sync (run on a thread) or async, that raises when
what it checks is down; the database check runs ``SELECT 1``. The answer names every
check: ``{"status": "ok", "database": "ok"}`` with 200, or
``{"status": "error", "database": "error"}`` with 503 (``"timeout"`` when a check took
longer than ``[health] timeout``). The reason of a failure goes to the ``mvcpy.health``
logger, never into the response. The route touches no session (so it sets no cookie),
is exempt from CSRF, and answers whatever the ``Host`` header says (load balancers probe
by IP address), even when ``allowed_hosts`` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import PositiveFloat, field_validator

from mvcpy.components import Component, Setup
from mvcpy.config.section import Section
from mvcpy.context import Context
from mvcpy.errors import ConfigurationError
from mvcpy.filters.chain import is_async_callable
from mvcpy.http.response import JSONResponse
from mvcpy.sessions.csrf import csrf_exempt

if TYPE_CHECKING:
    from mvcpy.application import Application

__all__ = [
    "Check",
    "HealthCheck",
    "HealthComponent",
    "HealthSettings",
    "add_health_check",
    "database_check",
]

#: A health check: ``fn(app)``, sync or async, that raises when what it checks is down.
Check = Callable[["Application"], Any]

logger = logging.getLogger("mvcpy.health")

_HEADERS = {"cache-control": "no-store"}


def database_check(app: Application) -> None:
    """Run ``SELECT 1`` on the app's database (a connection from its pool)."""
    from sqlalchemy import text

    with app.database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@csrf_exempt
class HealthCheck:
    """The GET handler: run every check at once, each bounded by ``timeout`` seconds."""

    __slots__ = ("checks", "timeout")

    def __init__(self, checks: Mapping[str, Check], timeout: float) -> None:
        #: the checks by name (the app's registry for the ``[health]`` route: read per call)
        self.checks = checks
        self.timeout = timeout

    async def _run(self, app: Any, name: str, check: Check) -> str:
        call: Awaitable[Any] = (
            check(app) if is_async_callable(check) else asyncio.to_thread(check, app)
        )
        try:
            await asyncio.wait_for(call, self.timeout)
        except TimeoutError:
            logger.error("health check %r took longer than %ss", name, self.timeout)
            return "timeout"
        except Exception as exc:
            logger.error("health check %r failed: %s: %s", name, type(exc).__name__, exc)
            return "error"
        return "ok"

    async def results(self, app: Any) -> dict[str, str]:
        """Run every check at once: ``{name: "ok" | "error" | "timeout"}``."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(app, n, self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def __call__(self, ctx: Context) -> JSONResponse:
        """Answer 200 when every check passes, else 503; the body names each check."""
        results = await self.results(ctx.app)
        healthy = all(result == "ok" for result in results.values())
        body = {"status": "ok" if healthy else "error", **results}
        return JSONResponse(body, 200 if healthy else 503, _HEADERS)


def add_health_check(
    app: Application,
    path: str | None = None,
    *,
    name: str = "health",
    database: bool | None = None,
    checks: Mapping[str, Check] | None = None,
    timeout: float | None = None,
) -> HealthCheck:
    """Route GET ``path`` (default ``[health] path``) to a :class:`HealthCheck`; return it.

    ``database`` (default ``[health] database``) adds the ``SELECT 1`` check as
    ``"database"``; ``checks`` adds named checks of your own (Redis, a queue, ...).
    """
    settings = app.config.section_of(HealthSettings)
    path = path or settings.path
    if not path.startswith("/"):
        raise ConfigurationError(f"[health] path must start with '/', got {path!r}")
    seconds = settings.timeout if timeout is None else timeout
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise ConfigurationError(f"[health] timeout must be a positive number, got {seconds!r}")
    selected: dict[str, Check] = {}
    if settings.database if database is None else database:
        selected["database"] = database_check
    for key, check in (checks or {}).items():
        if key == "status":
            raise ConfigurationError("a health check cannot be named 'status'")
        if not callable(check):
            raise ConfigurationError(f"health check {key!r} is not callable: {check!r}")
        selected[key] = check
    handler = HealthCheck(selected, float(seconds))
    app.route(path, handler, ("GET",), name=name)
    app._any_host_paths = app._any_host_paths | {path}
    return handler


class HealthSettings(Section):
    """``[health]``: the health check route for load balancers (docs/deployment.md)."""

    #: serve the health check at ``path``
    enabled: bool = False
    path: str = "/healthz"
    #: run ``SELECT 1`` on the app's database
    database: bool = True
    #: seconds a check may take before it counts as failed
    timeout: PositiveFloat = 3.0

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("the path must start with '/'")
        return value


class HealthComponent(Component):
    """Serve ``[health] path`` when ``[health] enabled``, with every component's checks.

    Components add checks with ``setup.health_check(name, fn)``; the route runs them all.
    """

    name = "health"
    sections = {"health": HealthSettings}

    def install(self, setup: Setup) -> None:
        """Route the health check, and add the database check when ``[health] database``."""
        settings = setup.settings(HealthSettings)
        if not settings.enabled:
            return
        if settings.database:
            setup.health_check("database", database_check)
        handler = HealthCheck(setup.health_checks, settings.timeout)
        setup.route("GET", settings.path, handler, name="health", any_host=True)
