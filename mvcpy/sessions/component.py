"""The sessions component: ``[session]`` and ``[csrf]``, the manager, the template helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.components import ServiceComponent, Setup
from mvcpy.sessions.settings import CsrfSettings, SessionSettings

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.sessions.manager import SessionManager

__all__ = ["SessionsComponent"]


class SessionsComponent(ServiceComponent):
    """Publish the ``sessions`` service (a :class:`SessionManager`) when sessions are on."""

    name = "sessions"
    service = "sessions"
    sections = {"session": SessionSettings, "csrf": CsrfSettings}

    def enabled(self, setup: Setup) -> bool:
        """Whether ``[session] enabled``."""
        return setup.settings(SessionSettings).enabled

    def install(self, setup: Setup) -> None:
        """Publish the manager (built when the app starts) and the session template helpers:
        ``session``, ``csrf_token()``, ``csrf_input()``, ``get_flashed_messages()``, each
        computed only when a template uses it."""
        super().install(setup)
        if self.enabled(setup):
            setup.template_value("session", _session)
            setup.template_value("csrf_token", lambda ctx: ctx.session.csrf_token)
            setup.template_value("csrf_input", lambda ctx: ctx.session.csrf_input)
            setup.template_value(
                "get_flashed_messages", lambda ctx: ctx.session.get_flashed_messages
            )

    def build(self, setup: Setup) -> SessionManager:
        """Build the manager from ``[session]`` and ``[csrf]``."""
        from mvcpy.sessions.manager import SessionManager

        return SessionManager(
            setup.settings(SessionSettings),
            secret_key=setup.core.secret_key,
            env=setup.env,
            csrf_field=setup.settings(CsrfSettings).field,
            database=lambda: setup.get_service("database"),
            executor=setup.executor,
        )

    async def shutdown(self) -> None:
        """Close the store's connections."""
        manager = self.built()
        if manager is not None:
            manager.close()


def _session(ctx: Context) -> Any:
    return ctx.session
