"""mvcpy's ORM path: ``self.adb`` in async controllers (``async_app``) and ``self.db`` in
sync ones (``app``), the fortunes through a template, one transaction per request."""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from benchmarks.apps.tfb_spec import (
    ADDED_FORTUNE,
    MESSAGE,
    POOL_SIZE,
    clamp,
    database_url,
    random_id,
)
from mvcpy import App, Controller
from mvcpy.orm import Model


class World(Model):
    __tablename__ = "world"

    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


class Fortune(Model):
    __tablename__ = "fortune"

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


def as_dict(world: World) -> dict[str, int]:
    return {"id": world.id, "randomNumber": world.randomnumber}


class AsyncController(Controller):
    async def hello(self) -> object:
        return {"message": MESSAGE}

    async def plain(self) -> object:
        return self.text(MESSAGE)

    async def single(self) -> object:
        return as_dict(await self.adb.get(World, random_id()))

    async def queries(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        return [as_dict(await self.adb.get(World, random_id())) for _ in range(count)]

    async def fortunes(self) -> object:
        rows = list(await self.adb.scalars(select(Fortune)))
        rows.append(Fortune(id=0, message=ADDED_FORTUNE))
        rows.sort(key=lambda fortune: fortune.message)
        return self.render("fortunes.html", fortunes=rows)

    async def updates(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        worlds = [await self.adb.get(World, random_id()) for _ in range(count)]
        for world in worlds:
            world.randomnumber = random_id()
        return [as_dict(world) for world in worlds]  # committed after the action


class SyncController(Controller):
    def hello(self) -> object:
        return {"message": MESSAGE}

    def plain(self) -> object:
        return self.text(MESSAGE)

    def single(self) -> object:
        return as_dict(self.db.get(World, random_id()))

    def queries(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        return [as_dict(self.db.get(World, random_id())) for _ in range(count)]

    def fortunes(self) -> object:
        rows = list(self.db.scalars(select(Fortune)))
        rows.append(Fortune(id=0, message=ADDED_FORTUNE))
        rows.sort(key=lambda fortune: fortune.message)
        return self.render("fortunes.html", fortunes=rows)

    def updates(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        worlds = [self.db.get(World, random_id()) for _ in range(count)]
        for world in worlds:
            world.randomnumber = random_id()
        return [as_dict(world) for world in worlds]


def build(controller: type[Controller]) -> App:
    app = App(
        __name__,
        env="prod",
        config={
            "secret_key": "benchmark-" + "x" * 32,
            "views": ["tfb_views"],
            "templates": {"bytecode_cache": ""},
            "database": {"url": database_url(), "pool_size": POOL_SIZE, "max_overflow": 0},
        },
    )
    actions = {"json": "hello", "plaintext": "plain", "db": "single", "queries": "queries",
               "fortunes": "fortunes", "updates": "updates"}  # fmt: skip
    for path, action in actions.items():
        app.router(f"/{path}", controller, f"get:{action}", name=path)
    return app


app = build(SyncController)
async_app = build(AsyncController)
