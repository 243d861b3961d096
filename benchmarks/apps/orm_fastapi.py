"""FastAPI + SQLAlchemy: the tutorial's ``Depends(get_db)`` session, ``def`` endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from benchmarks.apps.orm_spec import LIST_SIZE, POOL_SIZE, TABLE, database_url


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price: Mapped[float]
    stock: Mapped[int]


engine = create_engine(database_url(), pool_size=POOL_SIZE, max_overflow=0)
app = FastAPI()


def get_db() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


DB = Annotated[Session, Depends(get_db)]


def as_dict(item: Item) -> dict[str, object]:
    return {"id": item.id, "name": item.name, "price": item.price, "stock": item.stock}


@app.get("/items/{id}")
def show(id: int, db: DB) -> dict[str, object]:
    item = db.get(Item, id)
    if item is None:
        raise HTTPException(404)
    return as_dict(item)


@app.get("/items")
def index(db: DB) -> list[dict[str, object]]:
    items = db.scalars(select(Item).order_by(Item.id).limit(LIST_SIZE))
    return [as_dict(item) for item in items]
