"""The auth component: ``[auth]``, the ``auth`` service (:class:`Credentials`), and the
template values ``current_user`` and ``can``."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from mvcpy.auth.identity import Credentials, current_user
from mvcpy.auth.permissions import can
from mvcpy.auth.settings import AuthSettings
from mvcpy.components import Component, Setup
from mvcpy.filters.ratelimit import parse_rate
from mvcpy.sessions.manager import signing_keys
from mvcpy.sessions.settings import SessionSettings

if TYPE_CHECKING:
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
        if setup.settings(SessionSettings).enabled:
            setup.template_value("current_user", current_user)
