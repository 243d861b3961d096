"""FastAPI + SQLAlchemy: the tutorial's ``Depends(get_db)`` session, ``def`` endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse

from benchmarks.apps.tfb_spec import MESSAGE, clamp
from benchmarks.apps.tfb_sqla import Session, engine, fortunes_page, updated, worlds

app = FastAPI()


def get_db() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


DB = Annotated[Session, Depends(get_db)]


@app.get("/json")
async def hello() -> dict[str, str]:
    return {"message": MESSAGE}


@app.get("/plaintext", response_class=PlainTextResponse)
async def plain() -> str:
    return MESSAGE


@app.get("/db")
def single(db: DB) -> dict[str, int]:
    return worlds(db, 1)[0]


@app.get("/queries")
def queries(db: DB, queries: str = "1") -> list[dict[str, int]]:
    return worlds(db, clamp(queries))


@app.get("/fortunes", response_class=HTMLResponse)
def fortunes(db: DB) -> str:
    return fortunes_page(db)


@app.get("/updates")
def updates(db: DB, queries: str = "1") -> list[dict[str, int]]:
    return updated(db, clamp(queries))
