"""The home page: list the entries and take new ones."""

from typing import Any

from sqlalchemy import select

from guestbook.models import Entry
from mvcpy import Controller

PER_PAGE = 10


class HomeController(Controller):
    """Sync actions: SQLite calls block, so they run on a worker thread.

    ``self.db`` is this request's database session: mvcpy commits it when the action
    succeeds and rolls it back when the action fails.
    """

    def prepare(self) -> None:
        self.data["app_name"] = self.app.config["app_name"]

    def index(self, page: int = 1) -> None:
        newest_first = select(Entry).order_by(Entry.id.desc())
        entries = self.db.paginate(newest_first, max(page, 1), per_page=PER_PAGE)
        self.data.update(
            entries=entries.items,
            page=entries.page,
            has_next=entries.has_next,
            total=entries.total,
        )
        # No return: renders views/home/index.html with self.data.

    def create(self) -> Any:
        name = self.get_string("name").strip()
        message = self.get_string("message").strip()
        if not name or not message or len(name) > 80 or len(message) > 2000:
            self.data.update(error="Please give a name (up to 80 characters) and a message.")
            self.data.update(name=name, message=message)
            return self.index_with_error()
        self.db.add(Entry(name=name, message=message))  # committed before the redirect is sent
        return self.redirect("home")

    def index_with_error(self) -> Any:
        self.index()
        return self.render("home/index.html", status=422)


class EntriesApiController(Controller):
    """A JSON view of the same data."""

    def get(self) -> Any:
        entries = self.db.scalars(select(Entry).order_by(Entry.id.desc()).limit(100))
        return {
            "entries": [
                {"id": e.id, "name": e.name, "message": e.message, "created_at": e.created_at}
                for e in entries
            ]
        }
