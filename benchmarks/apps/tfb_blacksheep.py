"""BlackSheep on raw asyncpg (as its TFB entry): the same queries as the raw baseline."""

from __future__ import annotations

import html

import asyncpg
from blacksheep import Application, Content, Response, get
from blacksheep.server.responses import json as json_response
from blacksheep.server.responses import text

from benchmarks.apps.tfb_spec import ADDED_FORTUNE, MESSAGE, POOL_SIZE, clamp, dsn, random_id

app = Application()
_WORLD = "SELECT id, randomnumber FROM world WHERE id = $1"
_UPDATE = "UPDATE world SET randomnumber = $2 WHERE id = $1"


async def _start(application: Application) -> None:
    url, settings = dsn()
    application.services.pool = await asyncpg.create_pool(  # type: ignore[attr-defined]
        url, min_size=POOL_SIZE, max_size=POOL_SIZE, server_settings=settings
    )


async def _stop(application: Application) -> None:
    await application.services.pool.close()  # type: ignore[attr-defined]


app.on_start += _start
app.on_stop += _stop


def _pool() -> asyncpg.Pool:
    return app.services.pool  # type: ignore[attr-defined,no-any-return]


@get("/json")
async def hello() -> Response:
    return json_response({"message": MESSAGE})


@get("/plaintext")
async def plain() -> Response:
    return text(MESSAGE)


@get("/db")
async def single() -> Response:
    async with _pool().acquire() as connection:
        row = await connection.fetchrow(_WORLD, random_id())
    return json_response({"id": row[0], "randomNumber": row[1]})


@get("/queries")
async def queries(queries: str = "1") -> Response:
    async with _pool().acquire() as connection:
        statement = await connection.prepare(_WORLD)
        rows = [await statement.fetchrow(random_id()) for _ in range(clamp(queries))]
    return json_response([{"id": row[0], "randomNumber": row[1]} for row in rows])


@get("/fortunes")
async def fortunes() -> Response:
    async with _pool().acquire() as connection:
        rows = [tuple(r) for r in await connection.fetch("SELECT id, message FROM fortune")]
    rows.append((0, ADDED_FORTUNE))
    rows.sort(key=lambda row: row[1])
    cells = "".join(f"<tr><td>{i}</td><td>{html.escape(m)}</td></tr>" for i, m in rows)
    page = (
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
        f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>"
    )
    return Response(200, content=Content(b"text/html; charset=utf-8", page.encode()))


@get("/updates")
async def updates(queries: str = "1") -> Response:
    async with _pool().acquire() as connection:
        statement = await connection.prepare(_WORLD)
        worlds = []
        for _ in range(clamp(queries)):
            row = await statement.fetchrow(random_id())
            worlds.append({"id": row[0], "randomNumber": random_id()})
        worlds.sort(key=lambda world: world["id"])
        async with connection.transaction():
            await connection.executemany(_UPDATE, [(w["id"], w["randomNumber"]) for w in worlds])
    return json_response(worlds)
