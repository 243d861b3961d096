"""The views component: ``[templates]`` and ``[static]``, and the app's templates."""

from __future__ import annotations

from mvcpy.components import Component, Setup
from mvcpy.views.engine import Templates
from mvcpy.views.settings import StaticSettings, TemplatesSettings

__all__ = ["ViewsComponent"]


class ViewsComponent(Component):
    """Build the app's :class:`~mvcpy.views.Templates` (the ``templates`` service).

    When the server starts, prod compiles every template (a broken one stops the start)
    and dev checks the templates' ``url_for`` calls against the routes.
    """

    name = "views"
    sections = {"templates": TemplatesSettings, "static": StaticSettings}

    def __init__(self) -> None:
        self.templates: Templates | None = None
        self.setup: Setup | None = None

    def install(self, setup: Setup) -> None:
        """Publish the templates."""
        self.setup = setup
        self.templates = Templates(setup.config, setup.root_path, setup.url_for)
        setup.service("templates", self.templates)

    def start(self) -> None:
        """Compile (prod) or check the ``url_for`` calls of (dev) every template."""
        if self.templates is not None and self.setup is not None:
            self.templates.on_start(self.setup.route_table)
