"""The home page: list the entries and take new ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guestbook.db import Entry
from mvcpy import Controller

PER_PAGE = 10


class HomeController(Controller):
    """Sync actions: SQLite calls block, so they run on a worker thread."""

    def prepare(self) -> None:
        self.data["app_name"] = self.app.config["app_name"]

    def index(self, page: int = 1) -> None:
        page = max(page, 1)
        with Session(self.app.state.engine) as db:
            total = db.scalar(select(func.count()).select_from(Entry)) or 0
            entries = db.scalars(
                select(Entry)
                .order_by(Entry.id.desc())
                .limit(PER_PAGE)
                .offset((page - 1) * PER_PAGE)
            ).all()
        self.data.update(entries=entries, page=page, has_next=page * PER_PAGE < total, total=total)
        # No return: renders views/home/index.html with self.data.

    def create(self) -> Any:
        name = self.get_string("name").strip()
        message = self.get_string("message").strip()
        if not name or not message or len(name) > 80 or len(message) > 2000:
            self.data.update(error="Please give a name (up to 80 characters) and a message.")
            self.data.update(name=name, message=message)
            return self.index_with_error()
        with Session(self.app.state.engine) as db, db.begin():
            db.add(Entry(name=name, message=message))
        return self.redirect("home")

    def index_with_error(self) -> Any:
        self.index()
        return self.render("home/index.html", status=422)


class EntriesApiController(Controller):
    """A JSON view of the same data."""

    def get(self) -> Any:
        with Session(self.app.state.engine) as db:
            entries = db.scalars(select(Entry).order_by(Entry.id.desc()).limit(100)).all()
        return {
            "entries": [
                {"id": e.id, "name": e.name, "message": e.message, "created_at": e.created_at}
                for e in entries
            ]
        }
