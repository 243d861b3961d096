"""mvcpy's two paths to the database, one transaction per request, the fortunes through a
template: the ORM (``self.adb`` in async controllers, ``async_app``; ``self.db`` in sync
ones, ``app``) and the fast path, statements compiled once (``self.asql``,
``fast_async_app``; ``self.sql``, ``fast_app``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import String, bindparam, select, update
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
from mvcpy.orm import Model, Statement


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


@dataclass(slots=True)
class FortuneRow:
    id: int
    message: str


WORLD = Statement(select(World.id, World.randomnumber).where(World.id == bindparam("id")))
FORTUNES = Statement(select(Fortune.id, Fortune.message), into=FortuneRow)
SET_NUMBER = Statement(
    update(World).where(World.id == bindparam("wid")).values(randomnumber=bindparam("number"))
)


def world_dict(row: tuple[int, int]) -> dict[str, int]:
    return {"id": row[0], "randomNumber": row[1]}


def sorted_fortunes(rows: list[FortuneRow]) -> list[FortuneRow]:
    rows.append(FortuneRow(0, ADDED_FORTUNE))
    rows.sort(key=lambda fortune: fortune.message)
    return rows


def new_numbers(rows: list[tuple[int, int]]) -> list[dict[str, int]]:
    worlds = sorted(({"id": row[0], "randomNumber": random_id()} for row in rows),
                    key=lambda world: world["id"])  # fmt: skip
    return worlds  # one lock order: concurrent updates cannot deadlock


class FastAsyncController(Controller):
    async def hello(self) -> object:
        return {"message": MESSAGE}

    async def plain(self) -> object:
        return self.text(MESSAGE)

    async def single(self) -> object:
        return world_dict(await self.asql.first_or_404(WORLD, id=random_id()))

    async def queries(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        return [
            world_dict(await self.asql.first_or_404(WORLD, id=random_id())) for _ in range(count)
        ]

    async def fortunes(self) -> object:
        rows = sorted_fortunes(await self.asql.all(FORTUNES))
        return self.render("fortunes.html", fortunes=rows)

    async def updates(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        rows = [await self.asql.first_or_404(WORLD, id=random_id()) for _ in range(count)]
        worlds = new_numbers(rows)
        await self.asql.execute_many(
            SET_NUMBER, [{"wid": w["id"], "number": w["randomNumber"]} for w in worlds]
        )
        return worlds


class FastSyncController(Controller):
    def hello(self) -> object:
        return {"message": MESSAGE}

    def plain(self) -> object:
        return self.text(MESSAGE)

    def single(self) -> object:
        return world_dict(self.sql.first_or_404(WORLD, id=random_id()))

    def queries(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        return [world_dict(self.sql.first_or_404(WORLD, id=random_id())) for _ in range(count)]

    def fortunes(self) -> object:
        return self.render("fortunes.html", fortunes=sorted_fortunes(self.sql.all(FORTUNES)))

    def updates(self) -> object:
        count = clamp(self.get_string("queries", "1"))
        rows = [self.sql.first_or_404(WORLD, id=random_id()) for _ in range(count)]
        worlds = new_numbers(rows)
        self.sql.execute_many(
            SET_NUMBER, [{"wid": w["id"], "number": w["randomNumber"]} for w in worlds]
        )
        return worlds


def build(controller: type[Controller], async_driver: str = "") -> App:
    app = App(
        __name__,
        env="prod",
        config={
            "secret_key": "benchmark-" + "x" * 32,
            "views": ["tfb_views"],
            "templates": {"bytecode_cache": ""},
            "database": {
                "url": database_url(),
                "async_url": async_driver and database_url().replace("psycopg", async_driver, 1),
                "pool_size": POOL_SIZE,
                "max_overflow": 0,
            },
            # mvcpy's default unless a sweep sets it (BENCHMARKS.md: the worker threads)
            **(
                {"worker_threads": int(threads)}
                if (threads := os.environ.get("TFB_THREADS"))
                else {}
            ),
        },
    )
    actions = {"json": "hello", "plaintext": "plain", "db": "single", "queries": "queries",
               "fortunes": "fortunes", "updates": "updates"}  # fmt: skip
    for path, action in actions.items():
        app.router(f"/{path}", controller, f"get:{action}", name=path)
    return app


app = build(SyncController)
async_app = build(AsyncController)
fast_app = build(FastSyncController)
fast_async_app = build(FastAsyncController)
# the same controllers over asyncpg (``[database] async_url = "postgresql+asyncpg://..."``)
asyncpg_app = build(AsyncController, "asyncpg")
fast_asyncpg_app = build(FastAsyncController, "asyncpg")
