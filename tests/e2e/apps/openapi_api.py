"""A small typed API for the OpenAPI tests: ``tests.e2e.apps.openapi_api:app``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from mvcpy import App, Controller, Header, Query, abort


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(default="", max_length=10_000)
    priority: int = Field(default=0, ge=0, le=5)
    tags: list[str] = Field(default=[], max_length=20)


class Note(NoteIn):
    id: int


class Page(BaseModel):
    page: int = Field(default=1, ge=1, le=1000)
    order: Literal["asc", "desc"] = "asc"


NOTES: dict[int, Note] = {}


class NotesController(Controller):
    def index(self, paging: Annotated[Page, Query()], tag: str | None = None) -> list[Note]:
        notes = sorted(NOTES.values(), key=lambda n: n.id, reverse=paging.order == "desc")
        if tag is not None:
            notes = [n for n in notes if tag in n.tags]
        return notes[(paging.page - 1) * 20 : paging.page * 20]

    def create(self, note: NoteIn, client: Annotated[str, Header("X-Client")] = "") -> Note:
        if len(NOTES) >= 1000:
            abort(409, "Too many notes")
        created = Note(id=len(NOTES) + 1, **note.model_dump())
        NOTES[created.id] = created
        return created

    def show(self, id: int) -> Note:
        """Return one note."""
        note = NOTES.get(id)
        if note is None:
            abort(404, "No such note")
        return note

    def search(self, ids: list[int], limit: int = 10) -> dict[str, list[int]]:
        return {"ids": [i for i in ids if i in NOTES][: max(limit, 0)]}


app = App(__name__, config={"app_name": "notes"})
app.router("/notes", NotesController, "get:index;post:create", name="notes")
app.router("/notes/{id:int}", NotesController, "get:show", name="notes.show")
app.router("/search", NotesController, "get:search", name="search")
app.serve_openapi()
