"""The auth component: ``[auth]``, the ``auth`` service (:class:`Credentials`), and the
template values ``current_user`` and ``can``."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from mvcpy.auth.identity import Credentials, current_user
from mvcpy.auth.permissions import can
from mvcpy.auth.settings import AuthSettings
from mvcpy.components import CheckResult, Component, Setup
from mvcpy.filters.ratelimit import parse_rate
from mvcpy.sessions.manager import signing_keys
from mvcpy.sessions.settings import SessionSettings

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context

__all__ = ["AuthComponent"]


def _can(ctx: Context) -> Any:
    return partial(can, ctx)


class AuthComponent(Component):
    """Declare ``[auth]``, publish the credentials, and give templates ``current_user``
    and ``can(...)``; both are loaded only when a template uses them."""

    name = "auth"
    sections = {"auth": AuthSettings}

    def install(self, setup: Setup) -> None:
        """Publish the ``auth`` service and the template values."""
        settings = setup.settings(AuthSettings)
        parse_rate(settings.throttle_rate)  # a wrong rate stops startup, not the first login
        keys = signing_keys(setup.core.secret_key, setup.settings(SessionSettings))
        setup.service("auth", Credentials(settings, keys))
        setup.template_value("can", _can)
        setup.check(_check_throttles)
        if setup.settings(SessionSettings).enabled:
            setup.template_value("current_user", current_user)


def _check_throttles(app: Application) -> CheckResult:
    """Warn when production counts login attempts in each worker's memory."""
    from mvcpy.auth.throttle import AuthThrottle
    from mvcpy.cache.workers import configured_workers

    used = any(
        isinstance(f, AuthThrottle) for route in app.route_table.routes for f in route.filters
    )
    if not used:
        return CheckResult("auth_throttle", None, "no login throttle in the routes")
    settings = app.config.section_of(AuthSettings)
    if settings.throttle_redis_url:
        return CheckResult("auth_throttle", True, f"{settings.throttle_rate}, shared in Redis")
    workers = configured_workers(app.root_path)
    if app.env == "prod" and workers > 1:
        return CheckResult(
            "auth_throttle",
            True,
            f"each of the {workers} workers counts login attempts on its own, so an account "
            f"gets {workers} x {settings.throttle_rate}: set throttle_redis_url in [prod.auth]",
            warning=True,
        )
    return CheckResult("auth_throttle", True, f"{settings.throttle_rate} in memory")
