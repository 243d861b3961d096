"""The views component: the ``[templates]`` and ``[static]`` sections."""

from __future__ import annotations

from mvcpy.components import Component
from mvcpy.views.settings import StaticSettings, TemplatesSettings

__all__ = ["ViewsComponent"]


class ViewsComponent(Component):
    """Declare the settings of templates and static URLs.

    The app's :class:`~mvcpy.views.engine.Templates` reads them when it builds its Jinja
    environment (``app.templates``, also the ``templates`` service).
    """

    name = "views"
    sections = {"templates": TemplatesSettings, "static": StaticSettings}
