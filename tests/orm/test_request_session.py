"""The per-request session: opened on first use, committed or rolled back with the action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from mvcpy import App, Controller
from mvcpy.context import Context
from mvcpy.http.response import JSONResponse
from mvcpy.testing import TestClient

from .conftest import create_tables
from .models import Author, Note


def count_authors(url: str) -> int:
    """Count the rows through a connection of our own, outside the app."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Author)) or 0)
    finally:
        engine.dispose()


class AuthorsController(Controller):
    def create(self) -> Any:
        self.db.add(Author(email=self.get_string("email"), name=self.get_string("name")))
        return {"created": True}

    def create_then_fail(self) -> Any:
        self.db.add(Author(email="doomed@example.com"))
        self.db.flush()  # the row is in the database, inside the transaction
        raise RuntimeError("boom after the insert")

    def create_then_abort(self) -> Any:
        self.db.add(Author(email="aborted@example.com"))
        self.db.flush()
        self.abort(int(self.get_string("status")), "stopped")

    def create_then_503(self) -> Any:
        self.db.add(Author(email="unavailable@example.com"))
        self.db.flush()
        return JSONResponse({"down": True}, 503)

    def create_pair(self) -> Any:
        self.db.add(Author(email="first@example.com"))
        self.db.flush()
        self.db.add(Author(email=self.get_string("email")))
        self.db.flush()
        return {"created": 2}

    def index(self) -> Any:
        return [a.email for a in self.db.scalars(select(Author).order_by(Author.email))]


class AsyncAuthorsController(Controller):
    async def create(self) -> Any:
        self.adb.add(Author(email=self.get_string("email")))
        return {"created": True}

    async def create_then_fail(self) -> Any:
        self.adb.add(Author(email="async-doomed@example.com"))
        await self.adb.flush()
        raise RuntimeError("boom")

    async def index(self) -> Any:
        rows = await self.adb.scalars(select(Author).order_by(Author.email))
        return [a.email for a in rows]


def build(make_app: Callable[..., App], url: str, **database: Any) -> App:
    create_tables(url)
    app = make_app(database={"url": url, **database})
    app.router("/authors", AuthorsController, "get:index;post:create")
    app.router("/fail", AuthorsController, "post:create_then_fail")
    app.router("/abort", AuthorsController, "post:create_then_abort")
    app.router("/unavailable", AuthorsController, "post:create_then_503")
    app.router("/pair", AuthorsController, "post:create_pair")
    return app


def test_a_successful_action_commits_before_the_response(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = build(make_app, db_url)
    with TestClient(app) as client:
        assert client.post("/authors", data={"email": "ann@example.com"}).status_code == 200
        # Another connection sees the row as soon as the client has its 2xx.
        assert count_authors(db_url) == 1
        assert client.get("/authors").json() == ["ann@example.com"]


def test_a_failing_action_leaves_no_row(make_app: Callable[..., App], db_url: str) -> None:
    app = build(make_app, db_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/fail")
        assert response.status_code == 500
        assert count_authors(db_url) == 0
        assert app.database.engine.pool.checkedout() == 0


@pytest.mark.parametrize("status", [404, 422, 500, 503])
def test_an_abort_rolls_back(make_app: Callable[..., App], tmp_path: Any, status: int) -> None:
    url = f"sqlite:///{tmp_path / 'abort.sqlite3'}"
    app = build(make_app, url)
    with TestClient(app) as client:
        assert client.post("/abort", data={"status": str(status)}).status_code == status
    assert count_authors(url) == 0


def test_a_returned_5xx_rolls_back(make_app: Callable[..., App], tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'five.sqlite3'}"
    app = build(make_app, url)
    with TestClient(app) as client:
        assert client.post("/unavailable").status_code == 503
    assert count_authors(url) == 0


def test_a_unique_violation_is_a_409_and_rolls_back_the_request(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = build(make_app, db_url)
    with TestClient(app) as client:
        assert client.post("/authors", data={"email": "dup@example.com"}).status_code == 200
        conflict = client.post("/pair", data={"email": "dup@example.com"})
        assert conflict.status_code == 409
        assert "conflicts with existing data" in conflict.json()["error"]["message"]
        # first@example.com was flushed in the same request: it went with the rollback.
        assert client.get("/authors").json() == ["dup@example.com"]
        # A conflict found only at commit time (no flush in the action) is a 409 too.
        again = client.post("/authors", data={"email": "dup@example.com"})
        assert again.status_code == 409
    assert count_authors(db_url) == 1


def test_the_409_handler_can_be_replaced(make_app: Callable[..., App], tmp_path: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    url = f"sqlite:///{tmp_path / 'handler.sqlite3'}"
    app = build(make_app, url)

    @app.error_handler(IntegrityError)
    def taken(ctx: Context, exc: BaseException) -> Any:
        return JSONResponse({"taken": True}, 422)

    with TestClient(app) as client:
        client.post("/authors", data={"email": "x@example.com"})
        answer = client.post("/authors", data={"email": "x@example.com"})
        assert (answer.status_code, answer.json()) == (422, {"taken": True})


def test_autocommit_off_leaves_commits_to_the_controller(
    make_app: Callable[..., App], tmp_path: Any
) -> None:
    class Explicit(Controller):
        def post(self) -> Any:
            self.db.add(Author(email=self.get_string("email")))
            if self.get_bool("commit", False):
                self.db.commit()
            return {}

    url = f"sqlite:///{tmp_path / 'manual.sqlite3'}"
    app = build(make_app, url, autocommit=False)
    app.router("/explicit", Explicit)
    with TestClient(app) as client:
        client.post("/explicit", data={"email": "kept@example.com", "commit": "true"})
        client.post("/explicit", data={"email": "dropped@example.com"})
        assert client.get("/authors").json() == ["kept@example.com"]


def test_requests_that_never_touch_the_database_open_nothing(
    make_app: Callable[..., App],
) -> None:
    seen: list[object] = []

    async def watch(ctx: Context, call_next: Any) -> Any:
        response = await call_next(ctx)
        seen.append(ctx.db_scope)
        return response

    app = make_app(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    app.use(watch)
    app.get("/plain", lambda ctx: {"plain": True})
    with TestClient(app) as client:
        assert client.get("/plain").json() == {"plain": True}
    assert seen == [None]
    assert app.services.built("database") is None  # not even the engine was built


def test_function_handlers_get_ctx_db(make_app: Callable[..., App], db_url: str) -> None:
    app = build(make_app, db_url)

    def add(ctx: Context) -> Any:
        ctx.db.add(Author(email="fn@example.com"))
        return {"ok": True}

    def add_and_fail(ctx: Context) -> Any:
        ctx.db.add(Author(email="fn-fail@example.com"))
        ctx.db.flush()
        raise ValueError("no")

    app.post("/fn", add)
    app.post("/fn-fail", add_and_fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/fn").status_code == 200
        assert client.post("/fn-fail").status_code == 500
    assert count_authors(db_url) == 1


def test_async_controllers_use_an_async_session(
    make_app: Callable[..., App], async_db_url: str
) -> None:
    app = build(make_app, async_db_url)
    app.router("/async", AsyncAuthorsController, "get:index;post:create")
    app.router("/async/fail", AsyncAuthorsController, "post:create_then_fail")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/async", data={"email": "a@example.com"}).status_code == 200
        assert count_authors(async_db_url) == 1
        assert client.post("/async/fail").status_code == 500
        assert client.get("/async").json() == ["a@example.com"]
        assert app.database.async_engine.pool.checkedout() == 0


def test_a_thousand_requests_return_every_connection(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = build(make_app, db_url)

    def touch(ctx: Context) -> Any:
        return {"n": ctx.db.scalar(select(func.count()).select_from(Note))}

    app.get("/touch", touch)
    with TestClient(app, raise_server_exceptions=False) as client:
        for i in range(1000):
            if i % 10 == 0:
                assert client.post("/fail").status_code == 500
            else:
                assert client.get("/touch").json() == {"n": 0}
        assert app.database.engine.pool.checkedout() == 0


def test_a_filter_using_the_session_after_the_action_does_not_leak(
    make_app: Callable[..., App], tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    app = build(make_app, url)

    def late(ctx: Context, call_next: Any) -> Any:
        response = call_next(ctx)
        ctx.db.add(Author(email="late@example.com"))  # after the action's commit
        ctx.db.flush()
        return response

    with app.namespace("/late", filters=[late]) as ns:
        ns.router("/authors", AuthorsController, "post:create")
    with TestClient(app) as client:
        assert client.post("/late/authors", data={"email": "ok@example.com"}).status_code == 200
        assert app.database.engine.pool.checkedout() == 0
        # The action's write was committed; the filter's late write was rolled back.
        assert client.get("/authors").json() == ["ok@example.com"]
