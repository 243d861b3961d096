"""What the SQLAlchemy-based peers share: the two models, the engine (psycopg, a pool of
:data:`POOL_SIZE`), and the fortunes template rendered by Jinja with autoescaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from benchmarks.apps.tfb_spec import ADDED_FORTUNE, POOL_SIZE, database_url, random_id

__all__ = ["Fortune", "Session", "World", "engine", "fortunes_page", "updated", "worlds"]


class Base(DeclarativeBase):
    pass


class World(Base):
    __tablename__ = "world"

    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


class Fortune(Base):
    __tablename__ = "fortune"

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


engine = create_engine(database_url(), pool_size=POOL_SIZE, max_overflow=0)
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "tfb_views"), autoescape=True
)


def as_dict(world: World) -> dict[str, int]:
    return {"id": world.id, "randomNumber": world.randomnumber}


def worlds(db: Session, count: int) -> list[dict[str, int]]:
    """``count`` random rows, one query each."""
    return [as_dict(db.get(World, random_id())) for _ in range(count)]  # type: ignore[arg-type]


def updated(db: Session, count: int) -> list[dict[str, int]]:
    """Read ``count`` random rows, give each a new number, commit."""
    rows = [db.get(World, random_id()) for _ in range(count)]
    for row in rows:
        row.randomnumber = random_id()  # type: ignore[union-attr]
    db.commit()
    return [as_dict(row) for row in rows]  # type: ignore[arg-type]


def fortunes_page(db: Session) -> str:
    """The fortunes page."""
    rows: list[Any] = list(db.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message=ADDED_FORTUNE))
    rows.sort(key=lambda fortune: fortune.message)
    return _templates.get_template("fortunes.html").render(fortunes=rows)
