"""What a new project's start page shows in development: the framework, the environment,
the routes, the database and what to do next (the skeleton's ``views/home/get.html``)."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mvcpy.application import Application

__all__ = ["Overview", "RouteLine", "project_overview"]


@dataclass(frozen=True)
class RouteLine:
    """One route as the start page lists it."""

    name: str
    methods: str
    pattern: str

    @property
    def link(self) -> bool:
        """Whether a browser can follow it: a GET route with no parameter."""
        return "GET" in self.methods.split() and "{" not in self.pattern


@dataclass(frozen=True)
class Overview:
    """The facts of the start page."""

    version: str
    python: str
    env: str
    routes: list[RouteLine]
    #: the database URL, password hidden
    database: str
    #: where the migrations stand, in a sentence
    migrations: str
    #: does the database answer and stand at the latest revision?
    database_ok: bool
    #: the commands to try next
    next_steps: list[tuple[str, str]] = field(default_factory=list)


def project_overview(app: Application) -> Overview:
    """Gather the start page's facts (it reads the database: development only)."""
    from mvcpy import __version__
    from mvcpy.migrate import current_revision, pending_migrations
    from mvcpy.translation import gettext

    routes = [
        RouteLine(route.name or "", " ".join(sorted(route.methods)), route.pattern)
        for route in app.route_table.iter_routes()
        if not (route.name or "").startswith(("manual.", "i18n."))
    ]
    database = app.services["database"]
    url = database.url.render_as_string(hide_password=True)
    problem: str | None
    try:
        problem = pending_migrations(app.root_path, database)
        revision = current_revision(app) if problem is None else ""
        state = problem or (
            f"at {revision}"
            if revision
            else gettext("no migration yet: the first mvcpy generate model writes one")
        )
    except Exception as exc:  # no migrations folder, a database that does not answer
        problem = state = f"{type(exc).__name__}: {exc}"
    steps = [
        ("mvcpy generate scaffold post title:string body:text", gettext("a model with its pages")),
        ("mvcpy db upgrade", gettext("create its table")),
        ("mvcpy routes", gettext("every route, its name and target")),
        ("python -m pytest -q", gettext("the project's tests")),
        ("mvcpy check", gettext("what to fix before a deploy")),
    ]
    return Overview(
        version=__version__,
        python=platform.python_version(),
        env=app.env,
        routes=routes,
        database=url,
        migrations=state,
        database_ok=problem is None,
        next_steps=steps,
    )
