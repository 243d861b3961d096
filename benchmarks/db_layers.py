"""Where a one-row read's CPU goes, layer by layer, in one process (no HTTP).

``python benchmarks/db_layers.py``: the same ``SELECT id, randomnumber FROM world WHERE
id = $1`` read 3,000 times through each layer between an action and the socket, from
the ORM down to the driver, with the client's CPU time (utime + stime of this process)
per read. The differences between rows are what each layer costs: the ORM's loading,
SQLAlchemy's session, the transaction's BEGIN and COMMIT round trips. Needs the local
PostgreSQL (a schema of its own, dropped at the end) and asyncpg (``[bench]``).
"""

from __future__ import annotations

import random
import resource
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import psycopg
import uvloop
from sqlalchemy import bindparam, create_engine, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.util import greenlet_spawn


class _Base(DeclarativeBase):
    pass


class World(_Base):
    __tablename__ = "world"

    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
READS = 3_000
ROWS = 10_000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _measure(label: str, read: Callable[[], Awaitable[object]]) -> tuple[str, float]:
    for _ in range(200):
        await read()
    started = _cpu()
    for _ in range(READS):
        await read()
    return label, (_cpu() - started) / READS * 1e6


async def _layers(schema: str) -> list[tuple[str, float]]:
    results = []
    for driver in ("psycopg", "asyncpg"):
        results += await _driver_layers(driver, schema)
    pool = await asyncpg.create_pool(
        POSTGRES.replace("+psycopg", ""), min_size=4, max_size=4,
        server_settings={"search_path": schema},
    )  # fmt: skip

    async def raw_pool() -> None:
        async with pool.acquire() as connection:
            await connection.fetchrow(
                "SELECT id, randomnumber FROM world WHERE id = $1", random.randint(1, ROWS)
            )

    results.append(await _measure("asyncpg pool, no SQLAlchemy (the raw app)", raw_pool))
    await pool.close()
    return results


async def _driver_layers(driver: str, schema: str) -> list[tuple[str, float]]:
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    sql = "SELECT id, randomnumber FROM world WHERE id = %s"
    results = []
    engine_url = url if driver == "psycopg" else url.split("?")[0].replace("psycopg", driver)
    args = {} if driver == "psycopg" else {"server_settings": {"search_path": schema}}
    engine = create_async_engine(engine_url, pool_size=4, max_overflow=0, connect_args=args)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    statement = select(World.id, World.randomnumber).where(World.id == bindparam("id"))
    native = sql if driver == "psycopg" else sql.replace("%s", "$1")

    async def orm_get() -> None:
        async with sessions() as session:
            await session.get(World, random.randint(1, ROWS))
            await session.commit()

    async def core_in_session() -> None:
        async with sessions() as session:
            await session.execute(statement, {"id": random.randint(1, ROWS)})
            await session.commit()

    async def driver_in_session() -> None:
        async with sessions() as session:
            connection = await session.connection()
            raw = (await connection.get_raw_connection()).driver_connection
            await _read(raw, native, random.randint(1, ROWS))
            await session.commit()

    async def driver_in_transaction() -> None:
        lease = await greenlet_spawn(engine.sync_engine.raw_connection)
        try:
            raw = lease.driver_connection
            if driver == "psycopg":
                await _read(raw, native, random.randint(1, ROWS))
                await raw.commit()
            else:
                async with raw.transaction():
                    await _read(raw, native, random.randint(1, ROWS))
        finally:
            await greenlet_spawn(lease.close)

    async def driver_alone() -> None:
        lease = await greenlet_spawn(engine.sync_engine.raw_connection)
        try:
            raw = lease.driver_connection
            if driver == "psycopg":
                await raw.set_autocommit(True)
            await _read(raw, native, random.randint(1, ROWS))
            if driver == "psycopg":
                await raw.set_autocommit(False)
        finally:
            await greenlet_spawn(lease.close)

    for label, read in (
        ("ORM: session.get + commit", orm_get),
        ("Core statement in a session + commit", core_in_session),
        ("driver, on the session's connection + commit", driver_in_session),
        ("driver, pooled connection, BEGIN + read + COMMIT", driver_in_transaction),
        ("driver, pooled connection, the read alone", driver_alone),
    ):
        results.append(await _measure(f"{driver}: {label}", read))
    await engine.dispose()
    return results


async def _read(raw: object, sql: str, key: int) -> object:
    if isinstance(raw, psycopg.AsyncConnection):
        cursor = await raw.execute(sql, (key,), prepare=True)
        return await cursor.fetchone()
    return await raw.fetchrow(sql, key)  # type: ignore[attr-defined]


def main() -> None:
    schema = f"mvcpy_layers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(
            text(f"CREATE TABLE {schema}.world (id integer PRIMARY KEY, randomnumber integer)")
        )
        connection.execute(
            text(
                f"INSERT INTO {schema}.world "
                f"SELECT n, n % 10000 + 1 FROM generate_series(1, {ROWS}) n"
            )
        )
    try:
        results = uvloop.run(_layers(schema))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    print(f"| one read through ({READS:,} reads, in process) | client CPU µs/read |")
    print("|---|---:|")
    for label, micros in results:
        print(f"| {label} | {micros:,.0f} |")


if __name__ == "__main__":
    main()
