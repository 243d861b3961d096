"""The guestbook app: ``mvcpy run --app guestbook.app:app``."""

from __future__ import annotations

from pathlib import Path

from guestbook.controllers.home import EntriesApiController, HomeController
from guestbook.db import make_engine
from mvcpy import App

app = App(__name__)
app.state.engine = None

app.router("/", HomeController, "get:index;post:create", name="home")
app.router("/api/entries", EntriesApiController, name="api.entries")


@app.on_startup
def open_database() -> None:
    path = Path(app.config.get("database.path"))
    if not path.is_absolute():
        path = app.root_path.parent / path
    app.state.engine = make_engine(path)


@app.on_shutdown
def close_database() -> None:
    if app.state.engine is not None:
        app.state.engine.dispose()
