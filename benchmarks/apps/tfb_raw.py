"""The practical limit: a hand-written ASGI app on an asyncpg pool (prepared statements
from asyncpg's cache), orjson, and the fortunes page built with ``html.escape``."""

from __future__ import annotations

import html
from typing import Any

import asyncpg
import orjson

from benchmarks.apps.tfb_spec import ADDED_FORTUNE, MESSAGE, POOL_SIZE, clamp, dsn, random_id

_JSON = [(b"content-type", b"application/json")]
_TEXT = [(b"content-type", b"text/plain")]
_HTML = [(b"content-type", b"text/html; charset=utf-8")]
_WORLD = "SELECT id, randomnumber FROM world WHERE id = $1"
_UPDATE = "UPDATE world SET randomnumber = $2 WHERE id = $1"
pool: asyncpg.Pool | None = None


def _queries(scope: dict[str, Any]) -> int:
    for part in scope["query_string"].split(b"&"):
        key, _, value = part.partition(b"=")
        if key == b"queries":
            return clamp(value.decode("latin-1"))
    return 1


async def _send(send: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                url, settings = dsn()
                pool = await asyncpg.create_pool(
                    url, min_size=POOL_SIZE, max_size=POOL_SIZE, server_settings=settings
                )
                await send({"type": "lifespan.startup.complete"})
            else:
                assert pool is not None
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert pool is not None
    path = scope["path"]
    if path == "/json":
        await _send(send, orjson.dumps({"message": MESSAGE}), _JSON)
    elif path == "/plaintext":
        await _send(send, MESSAGE.encode(), _TEXT)
    elif path == "/db":
        async with pool.acquire() as connection:
            row = await connection.fetchrow(_WORLD, random_id())
        await _send(send, orjson.dumps({"id": row[0], "randomNumber": row[1]}), _JSON)
    elif path == "/queries":
        count = _queries(scope)
        async with pool.acquire() as connection:
            statement = await connection.prepare(_WORLD)
            worlds = []
            for _ in range(count):
                row = await statement.fetchrow(random_id())
                worlds.append({"id": row[0], "randomNumber": row[1]})
        await _send(send, orjson.dumps(worlds), _JSON)
    elif path == "/fortunes":
        async with pool.acquire() as connection:
            rows = [tuple(r) for r in await connection.fetch("SELECT id, message FROM fortune")]
        rows.append((0, ADDED_FORTUNE))
        rows.sort(key=lambda row: row[1])
        cells = "".join(
            f"<tr><td>{id}</td><td>{html.escape(message)}</td></tr>" for id, message in rows
        )
        page = (
            "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
            f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>"
        )
        await _send(send, page.encode(), _HTML)
    elif path == "/updates":
        count = _queries(scope)
        async with pool.acquire() as connection:
            statement = await connection.prepare(_WORLD)
            worlds = []
            for _ in range(count):
                row = await statement.fetchrow(random_id())
                worlds.append({"id": row[0], "randomNumber": random_id()})
            worlds.sort(key=lambda world: world["id"])  # one lock order: no deadlocks
            async with connection.transaction():
                await connection.executemany(
                    _UPDATE, [(w["id"], w["randomNumber"]) for w in worlds]
                )
        await _send(send, orjson.dumps(worlds), _JSON)
    else:
        await send({"type": "http.response.start", "status": 404, "headers": _TEXT})
        await send({"type": "http.response.body", "body": b"not found"})
