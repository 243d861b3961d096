"""Flask + SQLAlchemy: a session per request, closed at teardown (WSGI)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, request

from benchmarks.apps.tfb_spec import MESSAGE, clamp
from benchmarks.apps.tfb_sqla import Session, engine, fortunes_page, updated, worlds

app = Flask(__name__)


def db() -> Session:
    if "db" not in g:
        g.db = Session(engine)
    return g.db  # type: ignore[no-any-return]


@app.teardown_appcontext
def close(exception: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


@app.get("/json")
def hello() -> Any:
    return jsonify(message=MESSAGE)


@app.get("/plaintext")
def plain() -> Any:
    return Response(MESSAGE, content_type="text/plain")


@app.get("/db")
def single() -> Any:
    return jsonify(worlds(db(), 1)[0])


@app.get("/queries")
def queries() -> Any:
    return jsonify(worlds(db(), clamp(request.args.get("queries"))))


@app.get("/fortunes")
def fortunes() -> Any:
    return Response(fortunes_page(db()), content_type="text/html; charset=utf-8")


@app.get("/updates")
def updates() -> Any:
    return jsonify(updated(db(), clamp(request.args.get("queries"))))
