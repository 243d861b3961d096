"""The fast path: ``self.sql``/``self.asql`` run compiled statements in the request's
unit of work, on SQLite, PostgreSQL and MariaDB (sync) and SQLite and PostgreSQL (async)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import (
    Float,
    Integer,
    Numeric,
    bindparam,
    cast,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
    type_coerce,
    update,
)

from mvcpy import App, Controller
from mvcpy.orm import Statement
from mvcpy.orm.statement import CompiledStatement
from mvcpy.testing import TestClient

from .conftest import create_tables, isolated_url
from .models import Author, Counter

NEW_AUTHOR = Statement(
    insert(Author).values(email=bindparam("email"), name=bindparam("name")).returning(Author.id)
)
AUTHOR = Statement(
    select(Author.id, Author.email, Author.created_at).where(Author.email == bindparam("email"))
)
AUTHORS = Statement(select(Author.email).order_by(Author.email))
COUNT_BY_NAME = Statement(select(Author.id).where(Author.name == bindparam("name")))
RENAME = Statement(
    update(Author).where(Author.email == bindparam("old")).values(email=bindparam("new"))
)
DELETE_ALL = Statement(delete(Author))
COUNTER = Statement(insert(Counter).values(name=bindparam("name"), value=bindparam("value")))
COUNTERS = Statement(select(Counter.name, Counter.value).order_by(Counter.name))


@dataclasses.dataclass
class Row:
    id: int
    email: str
    created_at: datetime


AUTHOR_ROW = Statement(AUTHOR.statement, into=Row)


class SyncAuthors(Controller):
    def create(self) -> Any:
        new_id = self.sql.scalar(NEW_AUTHOR, email=self.get_string("email"), name="")
        return {"id": new_id}

    def show(self) -> Any:
        row = self.sql.first_or_404(AUTHOR_ROW, email=self.get_string("email"))
        return {"id": row.id, "email": row.email, "aware": row.created_at.tzinfo is not None}

    def index(self) -> Any:
        return [email for (email,) in self.sql.all(AUTHORS)]

    def create_then_fail(self) -> Any:
        self.sql.execute(NEW_AUTHOR, email="doomed@example.com", name="")
        raise RuntimeError("boom after the insert")

    def read_write_read(self) -> Any:
        before = self.sql.all(AUTHORS)  # outside the transaction where it may
        self.db.add(Author(email=self.get_string("email")))
        self.db.flush()
        after = self.sql.all(AUTHORS)  # in the session's transaction: sees the flush
        return {"before": len(before), "after": len(after)}

    def rename(self) -> Any:
        changed = self.sql.execute(RENAME, old=self.get_string("old"), new=self.get_string("new"))
        orm = self.db.scalars(select(Author.email).order_by(Author.email)).all()
        return {"changed": changed, "orm": list(orm)}

    def counters(self) -> Any:
        rows = [{"name": f"c{i}", "value": i} for i in range(int(self.get_string("n")))]
        written = self.sql.execute_many(COUNTER, rows)
        return {"written": written, "rows": [list(r) for r in self.sql.all(COUNTERS)]}


class AsyncAuthors(Controller):
    async def create(self) -> Any:
        new_id = await self.asql.scalar(NEW_AUTHOR, email=self.get_string("email"), name="")
        return {"id": new_id}

    async def show(self) -> Any:
        row = await self.asql.first_or_404(AUTHOR_ROW, email=self.get_string("email"))
        return {"id": row.id, "email": row.email, "aware": row.created_at.tzinfo is not None}

    async def index(self) -> Any:
        return [email for (email,) in await self.asql.all(AUTHORS)]

    async def create_then_fail(self) -> Any:
        await self.asql.execute(NEW_AUTHOR, email="doomed@example.com", name="")
        raise RuntimeError("boom after the insert")

    async def read_write_read(self) -> Any:
        before = await self.asql.all(AUTHORS)
        self.adb.add(Author(email=self.get_string("email")))
        await self.adb.flush()
        after = await self.asql.all(AUTHORS)
        return {"before": len(before), "after": len(after)}

    async def rename(self) -> Any:
        old, new = self.get_string("old"), self.get_string("new")
        changed = await self.asql.execute(RENAME, old=old, new=new)
        orm = (await self.adb.scalars(select(Author.email).order_by(Author.email))).all()
        return {"changed": changed, "orm": list(orm)}

    async def counters(self) -> Any:
        rows = [{"name": f"c{i}", "value": i} for i in range(int(self.get_string("n")))]
        written = await self.asql.execute_many(COUNTER, rows)
        return {"written": written, "rows": [list(r) for r in await self.asql.all(COUNTERS)]}


def build(make_app: Callable[..., App], url: str, controller: type[Controller], **db: Any) -> App:
    create_tables(url)
    app = make_app(database={"url": url, **db})
    app.router("/authors", controller, "get:index;post:create")
    app.router("/author", controller, "get:show")
    app.router("/fail", controller, "post:create_then_fail")
    app.router("/mixed", controller, "post:read_write_read")
    app.router("/rename", controller, "post:rename")
    app.router("/counters", controller, "post:counters")
    return app


def rows_of(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def exercise(client: TestClient, url: str) -> None:
    """What every backend and both kinds of action must do alike."""
    first = client.post("/authors", data={"email": "bea@example.com"})
    assert first.status_code == 200
    client.post("/authors", data={"email": "al@example.com"})
    # Committed before the response: another connection sees both rows.
    assert [r[0] for r in rows_of(url, "SELECT email FROM orm_authors ORDER BY email")] == [
        "al@example.com",
        "bea@example.com",
    ]
    assert client.get("/authors").json() == ["al@example.com", "bea@example.com"]
    # into= builds the dataclass; UTCDateTime's result processor gives an aware datetime.
    shown = client.get("/author", params={"email": "bea@example.com"}).json()
    assert shown == {"id": first.json()["id"], "email": "bea@example.com", "aware": True}
    assert client.get("/author", params={"email": "nobody@example.com"}).status_code == 404
    # A failing action rolls back what its statements wrote.
    assert client.post("/fail").status_code == 500
    assert rows_of(url, "SELECT count(*) FROM orm_authors WHERE email = 'doomed@example.com'") == [
        (0,)
    ]
    # The ORM and the statements share one transaction, in both orders.
    mixed = client.post("/mixed", data={"email": "cy@example.com"}).json()
    assert mixed == {"before": 2, "after": 3}
    renamed = client.post("/rename", data={"old": "cy@example.com", "new": "cyd@example.com"})
    assert renamed.json() == {
        "changed": 1,
        "orm": ["al@example.com", "bea@example.com", "cyd@example.com"],
    }
    counters = client.post("/counters", data={"n": "3"}).json()
    assert counters["rows"] == [["c0", 0], ["c1", 1], ["c2", 2]]
    # A unique violation is a 409, as from the ORM, and writes nothing.
    assert client.post("/authors", data={"email": "al@example.com"}).status_code == 409
    assert rows_of(url, "SELECT count(*) FROM orm_authors") == [(3,)]


def test_sync_statements(make_app: Callable[..., App], db_url: str) -> None:
    # One pooled connection: a read holding a connection while the session asks for
    # another would wait for the pool (a 503), so this also proves the hand-over.
    app = build(make_app, db_url, SyncAuthors, pool_size=1, max_overflow=0, pool_timeout=2)
    with TestClient(app, raise_server_exceptions=False) as client:
        exercise(client, db_url)
        assert app.database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_async_statements(make_app: Callable[..., App], async_db_url: str) -> None:
    app = build(make_app, async_db_url, AsyncAuthors, pool_size=1, max_overflow=0, pool_timeout=2)
    with TestClient(app, raise_server_exceptions=False) as client:
        exercise(client, async_db_url)
        pool = app.database.async_engine.sync_engine.pool
        assert pool.checkedout() == 0  # type: ignore[attr-defined]


class InMemory(Controller):
    async def create(self) -> Any:
        connection = await self.adb.connection()
        await connection.run_sync(lambda c: Author.metadata.create_all(c, [Author.__table__]))
        self.adb.add(Author(email=self.get_string("email")))
        return {}

    async def index(self) -> Any:
        return [email for (email,) in await self.asql.all(AUTHORS)]


def test_async_reads_of_an_in_memory_sqlite_database_stay_on_its_engine(
    make_app: Callable[..., App],
) -> None:
    """Reads of a SQLite file go to the worker threads through the sync driver; an
    in-memory database is one per engine, so there they stay on the async one."""
    app = make_app(database={"url": "sqlite://"})
    app.router("/authors", InMemory, "get:index;post:create")
    with TestClient(app) as client:
        client.post("/authors", data={"email": "mem@example.com"})
        assert client.get("/authors").json() == ["mem@example.com"]


#: A setting that lasts until the end of the transaction (``is_local``), and its value:
#: a read that finds it ran in the same transaction as the one that set it.
MARK = Statement(select(func.set_config("mvcpy.mark", "set", True)))
MARKED = Statement(select(func.coalesce(func.current_setting("mvcpy.mark", True), "")))


#: when the transaction a statement runs in began: each statement's own, outside one
NOW = Statement(select(func.now()))


class Transactions(Controller):
    """Whether two statements run in one transaction, after nothing, an ORM read or an
    ORM write; and what ``set_config(..., true)`` leaves for the rest of the request."""

    async def _same(self) -> dict[str, bool]:
        first = await self.asql.scalar(NOW)
        return {"one transaction": first == await self.asql.scalar(NOW)}

    def _same_sync(self) -> dict[str, bool]:
        first = self.sql.scalar(NOW)
        return {"one transaction": first == self.sql.scalar(NOW)}

    async def alone(self) -> Any:
        return await self._same()

    async def after_orm(self) -> Any:
        await self.adb.scalar(select(Author.id).limit(1))
        first = await self.adb.scalar(select(func.now()))
        return {"one transaction": first == await self.adb.scalar(select(func.now()))}

    async def after_write(self) -> Any:
        self.adb.add(Author(email=self.get_string("email")))
        await self.adb.flush()
        return await self._same()

    async def mark(self) -> Any:
        await self.asql.scalar(MARK)
        return {"marked": await self.asql.scalar(MARKED)}

    async def marked(self) -> Any:
        return {"marked": await self.asql.scalar(MARKED)}

    def alone_sync(self) -> Any:
        return self._same_sync()

    def after_orm_sync(self) -> Any:
        self.db.scalar(select(Author.id).limit(1))
        first = self.db.scalar(select(func.now()))
        return {"one transaction": first == self.db.scalar(select(func.now()))}

    def after_write_sync(self) -> Any:
        self.db.add(Author(email=self.get_string("email")))
        self.db.flush()
        return self._same_sync()

    def mark_sync(self) -> Any:
        self.sql.scalar(MARK)
        return {"marked": self.sql.scalar(MARKED)}

    def marked_sync(self) -> Any:
        return {"marked": self.sql.scalar(MARKED)}


def asyncpg_url(url: str) -> str:
    """The same database through asyncpg (``[database] async_url``)."""
    return url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1)


@pytest.fixture
def postgres_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty, private PostgreSQL schema."""
    yield from isolated_url("postgres", request, tmp_path)


def test_async_statements_on_asyncpg(make_app: Callable[..., App], postgres_db: str) -> None:
    app = build(
        make_app,
        postgres_db,
        AsyncAuthors,
        async_url=asyncpg_url(postgres_db),
        pool_size=1,
        max_overflow=0,
        pool_timeout=2,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        exercise(client, postgres_db)
        assert app.database.async_engine.dialect.driver == "asyncpg"
        pool = app.database.async_engine.sync_engine.pool
        assert pool.checkedout() == 0  # type: ignore[attr-defined]


_N = bindparam("n", type_=Integer)
#: numbers whose Python type depends on how PostgreSQL's driver reports the column: a
#: float, a Decimal, and a NUMERIC the statement says is a Float (so a float)
NUMBERS = Statement(
    select(
        cast(_N, Float).label("f"),
        cast(_N, Numeric(10, 2)).label("d"),
        type_coerce(cast(_N, Numeric(10, 2)), Float).label("coerced"),
    )
)


class Numbers(Controller):
    def fast(self) -> Any:
        return _typed(self.sql.first_or_404(NUMBERS, n=3))

    async def fast_async(self) -> Any:
        return _typed(await self.asql.first_or_404(NUMBERS, n=3))

    def orm(self) -> Any:
        return _typed(self.db.execute(NUMBERS.statement, {"n": 3}).one())


def _typed(row: Any) -> list[str]:
    return [f"{type(value).__name__} {value}" for value in row]


@pytest.mark.parametrize("async_driver", ["psycopg", "asyncpg"])
def test_numbers_come_back_as_sqlalchemy_gives_them_on_postgres(
    make_app: Callable[..., App], postgres_db: str, async_driver: str
) -> None:
    driver = {"async_url": asyncpg_url(postgres_db)} if async_driver == "asyncpg" else {}
    app = make_app(database={"url": postgres_db, **driver})
    app.router("/fast", Numbers, "get:fast")
    app.router("/fast_async", Numbers, "get:fast_async")
    app.router("/orm", Numbers, "get:orm")
    with TestClient(app) as client:
        expected = client.get("/orm").json()
        assert expected == ["float 3.0", "Decimal 3.00", "float 3.0"]
        assert client.get("/fast").json() == expected
        assert client.get("/fast_async").json() == expected


@pytest.mark.parametrize("async_driver", ["psycopg", "asyncpg"])
def test_reads_run_before_the_transaction_on_postgres(
    make_app: Callable[..., App],
    request: pytest.FixtureRequest,
    tmp_path: Any,
    async_driver: str,
) -> None:
    urls = isolated_url("postgres", request, tmp_path)
    url = next(urls)
    driver = {"async_url": asyncpg_url(url)} if async_driver == "asyncpg" else {}
    try:
        app = build(make_app, url, AsyncAuthors, pool_size=1, max_overflow=0, **driver)
        for name in ("alone", "after_orm", "after_write", "mark", "marked"):
            app.router(f"/{name}", Transactions, f"get:{name}")
            app.router(f"/{name}_sync", Transactions, f"get:{name}_sync")
        with TestClient(app, raise_server_exceptions=False) as client:
            client.get("/after_orm")  # the engines learn the isolation level on connecting
            client.get("/after_orm_sync")
            # Plain SELECTs before the request's first write run each on its own, through
            # the statement runners and the ORM alike: no BEGIN, no COMMIT round trip.
            for runner in ("", "_sync"):
                assert client.get(f"/alone{runner}").json() == {"one transaction": False}
                assert client.get(f"/after_orm{runner}").json() == {"one transaction": False}
                # A write begins the transaction; what follows runs in it.
                email = f"w{runner}@example.com"
                response = client.get(f"/after_write{runner}", params={"email": email})
                assert response.json() == {"one transaction": True}
                # set_config(..., true) lasts until the transaction ends: it runs in one,
                # and nothing of it is left on the connection for the next request.
                assert client.get(f"/mark{runner}").json() == {"marked": "set"}
                assert client.get("/marked").json() == {"marked": ""}
                assert client.get("/marked_sync").json() == {"marked": ""}
            # The connection went back to the pool ready for the session's transactions.
            client.post("/authors", data={"email": "bo@example.com"})
            assert client.post("/fail").status_code == 500
            authors = ["bo@example.com", "w@example.com", "w_sync@example.com"]
            assert client.get("/authors").json() == authors
    finally:
        next(urls, None)


def test_statements_are_counted_by_the_query_inspector(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = build(make_app, db_url, SyncAuthors, inspect_queries=True)
    with TestClient(app) as client:
        client.post("/authors", data={"email": "al@example.com"})
        response = client.get("/authors")
        assert response.json() == ["al@example.com"]
        assert response.headers["X-Query-Count"] == "1"


def test_a_statement_is_compiled_once_per_dialect() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    statement = Statement(select(Author.id).where(Author.email == bindparam("email")))
    pg = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    first = statement.compiled(pg)
    assert statement.compiled(pg) is first
    assert first.sql.endswith("WHERE orm_authors.email = %(email)s::VARCHAR")
    assert first.parameters({"email": "a"}) == {"email": "a"}
    lite = statement.compiled(sqlite.pysqlite.dialect())  # type: ignore[attr-defined]
    assert lite.parameters({"email": "a"}) == ("a",)
    with pytest.raises(TypeError, match="needs a value for 'email'"):
        lite.parameters({})


def test_into_builds_each_row_by_column_name() -> None:
    """``into`` gets every column under its own name, whatever order its fields are in
    (a dataclass or named tuple in the columns' order is filled positionally)."""
    from typing import NamedTuple

    from sqlalchemy.dialects import sqlite

    @dataclasses.dataclass
    class InOrder:
        email: str
        name: str

    @dataclasses.dataclass
    class Reversed:
        name: str
        email: str

    @dataclasses.dataclass(kw_only=True)
    class KeywordsOnly:
        email: str
        name: str

    class Pair(NamedTuple):
        email: str
        name: str

    lite = sqlite.pysqlite.dialect()  # type: ignore[attr-defined]
    query = select(Author.email, Author.name)
    raw = [("a@x", "Ann"), ("b@x", "Bo")]
    for into in (InOrder, Reversed, KeywordsOnly, Pair):
        statement = Statement(query, into=into)
        rows = statement.build(statement.compiled(lite), raw)
        assert [(row.email, row.name) for row in rows] == raw, into  # type: ignore[attr-defined]
    as_dicts = Statement(query, into=dict)
    assert as_dicts.build(as_dicts.compiled(lite), raw)[1] == {"email": "b@x", "name": "Bo"}


def test_what_may_run_before_the_transaction() -> None:
    from sqlalchemy.dialects import postgresql

    pg = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    plain = Statement(select(Author.id))
    locking = Statement(select(Author.id).with_for_update())
    marked = Statement(select(Author.id), writes=True)
    assert plain.compiled(pg).reads
    assert not locking.compiled(pg).reads
    assert not marked.compiled(pg).reads
    assert not NEW_AUTHOR.compiled(pg).reads
    # A value written into the statement and a column's Python default are filled in.
    fixed = Statement(select(Author.id).where(Author.name == "x"))
    assert list(fixed.compiled(pg).parameters({}).values()) == ["x"]
    created = Statement(insert(Author).values(email=bindparam("email")))
    values = created.compiled(pg).parameters({"email": "a"})
    assert values["email"] == "a" and isinstance(values["created_at"], datetime)


def test_mistakes_are_refused_when_the_statement_is_made() -> None:
    from sqlalchemy.dialects import postgresql

    with pytest.raises(TypeError, match="Core statement"):
        Statement("SELECT 1")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="returns rows"):
        Statement(delete(Author), into=dict)
    expanding = Statement(select(Author.id).where(Author.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(TypeError, match="expanding IN"):
        expanding.compiled(postgresql.psycopg.dialect())  # type: ignore[attr-defined]
    assert isinstance(
        Statement(select(Author.id)).compiled(postgresql.psycopg.dialect()),  # type: ignore[attr-defined]
        CompiledStatement,
    )


@pytest.mark.parametrize(
    ("controller", "async_driver"),
    [(SyncAuthors, ""), (AsyncAuthors, "psycopg"), (AsyncAuthors, "asyncpg")],
)
def test_a_lost_connection_is_a_503_then_replaced(
    make_app: Callable[..., App],
    request: pytest.FixtureRequest,
    tmp_path: Any,
    controller: type[Controller],
    async_driver: str,
) -> None:
    urls = isolated_url("postgres", request, tmp_path)
    url = next(urls)
    name = f"mvcpy_lost_{controller.__name__.lower()}_{async_driver}"
    named = f"{url}&application_name={name}"
    driver = {"async_url": asyncpg_url(named)} if async_driver == "asyncpg" else {}
    try:
        app = build(make_app, named, controller, pool_size=1, **driver)

        def kill(conn: Any) -> list[Any]:
            query = (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
            )
            return conn.execute(text(query), {"n": name}).all()

        _lose_and_recover(app, url, kill)
    finally:
        next(urls, None)


def test_a_lost_mariadb_connection_is_a_503_then_replaced(
    make_app: Callable[..., App], request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    """PyMySQL is called directly too: a connection the server killed is invalidated."""
    urls = isolated_url("mariadb", request, tmp_path)
    url = next(urls)
    try:
        app = build(make_app, url, SyncAuthors, pool_size=1)

        def kill(conn: Any) -> list[Any]:
            mine = conn.execute(text("SELECT CONNECTION_ID()")).scalar()
            query = "SELECT id FROM information_schema.PROCESSLIST WHERE db = DATABASE()"
            ids = conn.execute(text(query)).scalars()
            return [conn.execute(text(f"KILL {int(i)}")) for i in ids if i != mine]

        _lose_and_recover(app, url, kill)
    finally:
        next(urls, None)


def _lose_and_recover(app: App, url: str, kill: Callable[[Any], list[Any]]) -> None:
    """The app's connection, killed by the server (``kill(admin connection)``), makes one
    request a 503; the next gets a new connection."""
    with TestClient(app, raise_server_exceptions=False) as client:
        client.post("/authors", data={"email": "al@example.com"})
        assert client.get("/authors").status_code == 200
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            killed = kill(conn)
        engine.dispose()
        assert killed
        lost = client.get("/authors")
        assert lost.status_code == 503
        assert lost.headers["Retry-After"]
        assert client.get("/authors").json() == ["al@example.com"]


class TextController(Controller):
    def run(self) -> Any:
        changed = self.sql.execute(RENAME_ALL, suffix=".org")
        return {"changed": changed, "one": self.sql.scalar(ONE), "rows": self.sql.all(EMAILS)}


RENAME_ALL = Statement(text("UPDATE orm_authors SET email = email || :suffix"))
ONE = Statement(text("SELECT 1"))
EMAILS = Statement(text("SELECT email FROM orm_authors ORDER BY email"))


def test_text_statements_run_in_the_transaction(make_app: Callable[..., App], db_url: str) -> None:
    app = build(make_app, db_url, SyncAuthors)
    app.router("/text", TextController, "post:run")
    with TestClient(app) as client:
        client.post("/authors", data={"email": "al@example"})
        if "mysql" in db_url or "mariadb" in db_url:  # || is OR there, not concatenation
            return
        assert client.post("/text").json() == {
            "changed": 1,
            "one": 1,
            "rows": [["al@example.org"]],
        }
    assert not Statement(text("SELECT 1")).compiled(create_engine("sqlite://").dialect).reads


class Settings(Controller):
    async def show(self) -> Any:
        names = ("search_path", "statement_timeout", "application_name")
        return {name: await self.adb.scalar(text(f"SHOW {name}")) for name in names}

    async def slow(self) -> Any:
        return {"slept": await self.adb.scalar(text("SELECT pg_sleep(3)"))}


def test_asyncpg_takes_the_urls_and_the_timeouts_settings(
    make_app: Callable[..., App], postgres_db: str
) -> None:
    named = f"{postgres_db}&application_name=mvcpy_settings"
    app = build(make_app, named, AsyncAuthors, async_url=asyncpg_url(named), statement_timeout=0.5)
    app.router("/settings", Settings, "get:show")
    app.router("/slow", Settings, "get:slow")
    schema = postgres_db.rsplit("%3D", 1)[1]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/settings").json() == {
            "search_path": schema,
            "statement_timeout": "500ms",
            "application_name": "mvcpy_settings",
        }
        slow = client.get("/slow")  # the statement timeout is a 503, as on psycopg
        assert slow.status_code == 503


class Holding(Controller):
    async def hold(self) -> Any:
        emails = await self.asql.all(AUTHORS)  # the connection is held until the end
        await asyncio.sleep(0.3)
        return {"emails": len(emails)}


@pytest.mark.parametrize("async_driver", ["psycopg", "asyncpg"])
def test_overflow_connections_go_back_to_the_pool(
    make_app: Callable[..., App], postgres_db: str, async_driver: str
) -> None:
    driver = {"async_url": asyncpg_url(postgres_db)} if async_driver == "asyncpg" else {}
    app = build(make_app, postgres_db, AsyncAuthors, pool_size=1, max_overflow=2, **driver)
    app.router("/hold", Holding, "get:hold")
    with TestClient(app) as client:
        answers: list[Any] = []
        holders = [
            threading.Thread(target=lambda: answers.append(client.get("/hold").json()))
            for _ in range(3)
        ]
        for holder in holders:
            holder.start()
        for holder in holders:
            holder.join()
        assert answers == [{"emails": 0}] * 3
        pool: Any = app.database.async_engine.sync_engine.pool
        assert pool.checkedout() == 0
        assert pool.overflow() <= 0  # the overflow connections were closed, not kept
        assert client.get("/hold").json() == {"emails": 0}
