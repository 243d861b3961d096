"""Flask + SQLAlchemy: a session per request, closed at teardown (served as WSGI)."""

from __future__ import annotations

from flask import Flask, abort, g, jsonify
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
app = Flask(__name__)


def db() -> Session:
    if "db" not in g:
        g.db = Session(engine)
    return g.db  # type: ignore[no-any-return]


@app.teardown_appcontext
def close_db(exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def as_dict(item: Item) -> dict[str, object]:
    return {"id": item.id, "name": item.name, "price": item.price, "stock": item.stock}


@app.get("/items/<int:id>")
def show(id: int) -> object:
    item = db().get(Item, id)
    if item is None:
        abort(404)
    return jsonify(as_dict(item))


@app.get("/items")
def index() -> object:
    items = db().scalars(select(Item).order_by(Item.id).limit(LIST_SIZE))
    return jsonify([as_dict(item) for item in items])
