"""Litestar + SQLAlchemy: sync handlers run in threads, a session per request."""

from __future__ import annotations

from litestar import Litestar, MediaType, get

from benchmarks.apps.tfb_spec import MESSAGE, clamp
from benchmarks.apps.tfb_sqla import Session, engine, fortunes_page, updated, worlds


@get("/json")
async def hello() -> dict[str, str]:
    return {"message": MESSAGE}


@get("/plaintext", media_type=MediaType.TEXT)
async def plain() -> str:
    return MESSAGE


@get("/db", sync_to_thread=True)
def single() -> dict[str, int]:
    with Session(engine) as db:
        return worlds(db, 1)[0]


@get("/queries", sync_to_thread=True)
def queries(queries: str = "1") -> list[dict[str, int]]:
    with Session(engine) as db:
        return worlds(db, clamp(queries))


@get("/fortunes", media_type=MediaType.HTML, sync_to_thread=True)
def fortunes() -> str:
    with Session(engine) as db:
        return fortunes_page(db)


@get("/updates", sync_to_thread=True)
def updates(queries: str = "1") -> list[dict[str, int]]:
    with Session(engine) as db:
        return updated(db, clamp(queries))


app = Litestar([hello, plain, single, queries, fortunes, updates])
