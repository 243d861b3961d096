"""mvcpy: ``self.db`` in a sync controller (``app``) and ``self.adb`` in an async one
(``async_app``); the fast path, statements compiled once, with ``self.sql``
(``fast_app``) and ``self.asql`` (``fast_async_app``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from benchmarks.apps.orm_spec import LIST_SIZE, POOL_SIZE, TABLE, database_url
from mvcpy import App, Controller
from mvcpy.orm import Model, Statement


class Item(Model):
    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price: Mapped[float]
    stock: Mapped[int]


def as_dict(item: Item | ItemRow) -> dict[str, object]:
    return {"id": item.id, "name": item.name, "price": item.price, "stock": item.stock}


class ItemsController(Controller):
    """``GET /items/{id}`` and ``GET /items`` on the worker pool."""

    def show(self, id: int) -> object:
        return as_dict(self.db.get_or_404(Item, id))

    def index(self) -> object:
        items = self.db.scalars(select(Item).order_by(Item.id).limit(LIST_SIZE))
        return [as_dict(item) for item in items]


class AsyncItemsController(Controller):
    """The same on the event loop, through the async driver."""

    async def show(self, id: int) -> object:
        return as_dict(await self.adb.get_or_404(Item, id))

    async def index(self) -> object:
        items = await self.adb.scalars(select(Item).order_by(Item.id).limit(LIST_SIZE))
        return [as_dict(item) for item in items]


@dataclass(slots=True)
class ItemRow:
    id: int
    name: str
    price: float
    stock: int


COLUMNS = (Item.id, Item.name, Item.price, Item.stock)
ONE = Statement(select(*COLUMNS).where(Item.id == bindparam("id")), into=ItemRow)
FIRST = Statement(select(*COLUMNS).order_by(Item.id).limit(LIST_SIZE), into=ItemRow)


class FastItemsController(Controller):
    """The same reads as statements compiled once, on the worker pool."""

    def show(self, id: int) -> object:
        return as_dict(self.sql.first_or_404(ONE, id=id))

    def index(self) -> object:
        return [as_dict(item) for item in self.sql.all(FIRST)]


class AsyncFastItemsController(Controller):
    """The same on the event loop."""

    async def show(self, id: int) -> object:
        return as_dict(await self.asql.first_or_404(ONE, id=id))

    async def index(self) -> object:
        return [as_dict(item) for item in await self.asql.all(FIRST)]


def build(controller: type[Controller]) -> App:
    app = App(
        __name__,
        env="prod",
        config={
            "secret_key": "benchmark-" + "x" * 32,
            "database": {"url": database_url(), "pool_size": POOL_SIZE, "max_overflow": 0},
        },
    )
    app.router("/items/{id:int}", controller, "get:show")
    app.router("/items", controller, "get:index")
    return app


app = build(ItemsController)
async_app = build(AsyncItemsController)
fast_app = build(FastItemsController)
fast_async_app = build(AsyncFastItemsController)
