"""Jinja views: one environment per app over the project's ``views/`` directories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from mvcpy.app import App
    from mvcpy.context import Context

__all__ = ["RECORD_EXTENSION", "Templates"]

#: Scope extension under which the test client collects what a request rendered.
RECORD_EXTENSION = "mvcpy.testing"


class Templates:
    """Find, compile (once, cached by Jinja) and render the app's templates."""

    def __init__(self, app: App) -> None:
        self.app = app
        views = app.config.get("views", ["views"])
        if isinstance(views, str):
            views = [views]
        self.directories = [(app.root_path / d).resolve() for d in views]
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        """The Jinja environment, created on first use."""
        if self._env is None:
            self._env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(d) for d in self.directories]),
                autoescape=jinja2.select_autoescape(["html", "htm", "xml", "jinja"]),
                auto_reload=bool(self.app.config.get("debug")),
                cache_size=400,
            )
            self._env.globals["url_for"] = self.app.url_for
            self._env.globals["urlfor"] = self.app.url_for
        return self._env

    def get(self, name: str) -> jinja2.Template:
        """Return the compiled template ``name``; the error names the directories searched."""
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound:
            searched = ", ".join(str(d / name) for d in self.directories) or "(no views directory)"
            raise jinja2.TemplateNotFound(
                name, f"template {name!r} not found; looked for {searched}"
            ) from None

    def exists(self, name: str) -> bool:
        """Tell whether template ``name`` can be found."""
        return any((d / name).is_file() for d in self.directories)

    def render(self, name: str, context: dict[str, Any], ctx: Context | None = None) -> str:
        """Render ``name`` with ``context`` plus the request helpers (``url_for``, ``urlfor``)."""
        template = self.get(name)
        if ctx is not None:
            url_for = ctx.url_for
            context = {"url_for": url_for, "urlfor": url_for, "request": ctx.request, **context}
            record = ctx.scope.get("extensions", {}).get(RECORD_EXTENSION)
            if record is not None:
                record["template"] = name
                record["context"] = context
        return template.render(context)
