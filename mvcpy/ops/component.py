"""The operations component: ``[ops]``, the dashboard, settings and profile pages under
``[ops] path``, and each worker's numbers shared with the others."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mvcpy.components import Component, Setup
from mvcpy.ops.settings import OpsSettings

if TYPE_CHECKING:
    from mvcpy.ops.controller import OpsPages

__all__ = ["OpsComponent"]

#: (path under [ops] path, mapping, route name)
ROUTES = (
    ("/", "get:index", "ops.index"),
    ("/settings", "get:settings", "ops.settings"),
    ("/profile", "get:profile", "ops.profile"),
)


class OpsComponent(Component):
    """When ``[ops] enabled``: count each request, share the numbers between workers, and
    serve the pages to the allowed addresses and users (docs/operations.md)."""

    name = "ops"
    sections = {"ops": OpsSettings}

    def __init__(self) -> None:
        self.pages: OpsPages | None = None

    def install(self, setup: Setup) -> None:
        """Route the pages behind the allow-list and the permission; start counting."""
        settings = setup.settings(OpsSettings)
        if not settings.enabled:
            return
        from mvcpy.auth.filters import require
        from mvcpy.filters.observe import observe_requests
        from mvcpy.filters.proxies import AllowedClients
        from mvcpy.health import HealthCheck, HealthSettings, database_check
        from mvcpy.ops.board import WorkerBoard
        from mvcpy.ops.controller import OpsController, OpsPages
        from mvcpy.ops.routes import RouteTally

        tally = RouteTally()
        observe_requests(setup).done.append(tally.record)
        health = setup.settings(HealthSettings)
        checks: Mapping[str, Any] = setup.health_checks  # a live view: later checks count
        if health.database and "database" in setup.services:  # not built here
            checks = ChainMap(setup.health_checks, {"database": database_check})  # type: ignore[arg-type]  # read only
        directory = setup.root_path / settings.state_dir
        self.pages = pages = OpsPages(
            tally=tally,
            board=WorkerBoard(directory, settings.interval, lambda: pages.collect()),
            health=HealthCheck(checks, health.timeout),
            services=setup.services,
            config=setup.config,
            layout=settings.layout or "ops/base.html",
            profile_max_seconds=settings.profile_max_seconds,
        )
        controller = type("OpsPagesController", (OpsController,), {"pages": pages})
        controller.__module__ = OpsController.__module__
        gate: list[object] = [AllowedClients(settings.allow, "[ops] allow")]
        if settings.permission:
            gate.append(require(settings.permission))
        base = "/" + settings.path.strip("/")
        for path, mapping, name in ROUTES:
            setup.router(base + path.rstrip("/") if path != "/" else base + "/", controller,
                         mapping, name=name, filters=gate)  # fmt: skip
        setup.get_service("templates").add_package("mvcpy.ops", "views")

    def start(self) -> None:
        """Fall back on the pages' own frame when the project has no ``[ops] layout``."""
        if self.pages is None or self.pages.layout == "ops/base.html":
            return
        import jinja2

        templates = self.pages.services.get("templates")
        try:
            templates.env.get_template(self.pages.layout)
        except jinja2.TemplateNotFound:
            self.pages.layout = "ops/base.html"

    async def startup(self) -> None:
        """Start publishing this worker's numbers."""
        if self.pages is not None:
            self.pages.board.start()

    async def shutdown(self) -> None:
        """Stop publishing, and take this worker's numbers away."""
        if self.pages is not None:
            await self.pages.board.stop()
