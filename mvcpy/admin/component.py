"""The admin component: ``[admin]``, the admin's routes under ``[admin] path``, its
templates, and the ``mvcpy check`` check of its audit log table."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mvcpy.admin.commands import configure_admin, run_admin
from mvcpy.admin.settings import AdminSettings
from mvcpy.components import CheckResult, Command, Component, Setup
from mvcpy.errors import ConfigurationError

if TYPE_CHECKING:
    from mvcpy.admin.site import Admin
    from mvcpy.application import Application

__all__ = ["AdminComponent", "load_site"]

#: (path under [admin] path, mapping, route name)
ROUTES = (
    ("/", "get:index", "admin.index"),
    ("/-/log", "get:log", "admin.log"),
    ("/{model}/", "get:rows", "admin.list"),
    ("/{model}/", "post:create", "admin.create"),
    ("/{model}/new", "get:new", "admin.new"),
    ("/{model}/delete", "post:bulk_delete", "admin.bulk_delete"),
    ("/{model}/{id}", "get:edit", "admin.edit"),
    ("/{model}/{id}", "post:update", "admin.update"),
    ("/{model}/{id}/delete", "get:delete", "admin.delete"),
    ("/{model}/{id}/delete", "post:destroy", "admin.destroy"),
)


def _site_spec(setup: Setup, settings: AdminSettings) -> str | None:
    """``module:attribute`` of the registrations: ``[admin] site``, else the project's
    ``admin`` module when it exists."""
    if settings.site:
        return settings.site
    root = setup.root_path
    if root.joinpath("admin.py").is_file() or root.joinpath("admin", "__init__.py").is_file():
        return f"{root.name}.admin:admin"
    return None


def load_site(spec: str) -> Admin:
    """Import ``"module:attribute"`` and check that it is an :class:`~mvcpy.admin.Admin`."""
    from mvcpy.admin.site import Admin

    module_name, _, attribute = spec.partition(":")
    try:
        site = getattr(importlib.import_module(module_name), attribute or "admin")
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"[admin] site {spec!r} cannot be loaded: {exc}") from exc
    if not isinstance(site, Admin):
        raise ConfigurationError(f"[admin] site {spec!r} is a {type(site).__name__}, not an Admin")
    return site


class AdminComponent(Component):
    """Serve the model admin when the project declares one (docs/admin.md)."""

    name = "admin"
    sections = {"admin": AdminSettings}
    commands = (
        Command(
            "admin",
            "the admin's models and permissions; grant EMAIL lets a user in",
            run_admin,
            configure_admin,
            description="grant gives the user every permission of the admin, through the "
            "grant= function of the project's Admin(). docs/admin.md",
        ),
    )

    def __init__(self) -> None:
        self._spec: str | None = None
        self._pages: Any = None

    def install(self, setup: Setup) -> None:
        """Route the admin's pages behind ``[admin] permission`` and add its templates."""
        settings = setup.settings(AdminSettings)
        spec = _site_spec(setup, settings)
        if not (settings.enabled if settings.enabled is not None else spec is not None):
            return
        if spec is None:
            raise ConfigurationError(
                "[admin] enabled = true, and the project has no admin module: write one "
                "(mvcpy generate admin Post), or set [admin] site = 'module:attribute'"
            )
        from mvcpy.admin.controller import AdminController, AdminPages
        from mvcpy.auth.filters import require
        from mvcpy.sessions.csrf import CSRFProtect

        self._spec = spec
        self._pages = pages = AdminPages(
            lambda: load_site(spec), settings.per_page, settings.select_limit
        )
        setup.service("admin", pages)
        controller = type("ModelAdminController", (AdminController,), {"pages": pages})
        controller.__module__ = AdminController.__module__
        base = "/" + settings.path.strip("/")
        # CSRF is checked here whether or not the project checks it app-wide.
        gate = [require(settings.permission), CSRFProtect()]
        for path, mapping, name in ROUTES:
            setup.router(base + path, controller, mapping, name=name, filters=gate)
        setup.get_service("templates").add_package("mvcpy.admin", "views")
        setup.check(self._check_log_table)

    def start(self) -> None:
        """Import the registrations now, so that a mistake in them stops the app."""
        if self._pages is not None:
            self._pages.site  # noqa: B018 - loaded for its checks

    def _check_log_table(self, app: Application) -> CheckResult:
        from sqlalchemy import inspect

        from mvcpy.admin.audit import TABLE

        site = self._pages.site
        with app.database.engine.connect() as connection:
            present = inspect(connection).has_table(TABLE.name)
        if not present:
            return CheckResult(
                "admin",
                False,
                f"the admin is on and the database has no {TABLE.name} table (its audit "
                "log): mvcpy generate admin writes its revision, then mvcpy db upgrade",
                fatal=True,
            )
        return CheckResult("admin", True, f"{len(site)} model(s) at {self._spec}")
