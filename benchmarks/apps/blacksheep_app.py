"""BlackSheep with ``async def`` request handlers and typed route parameters."""

from __future__ import annotations

from blacksheep import Application, Response, json, text

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)

app = Application()


async def filler() -> Response:
    """Every static filler route."""
    return text("filler")


async def filler_item(id: str) -> Response:
    """Every filler route with an ``id``."""
    return text(id)


for _path in filler_static_paths():
    app.router.add_get(_path, filler)
for _path in filler_param_paths(lambda n: "{" + n + "}"):
    app.router.add_get(_path, filler_item)


@app.router.get("/plaintext")
async def plaintext() -> Response:
    """``GET /plaintext``."""
    return text(PLAINTEXT)


@app.router.get("/json")
async def json_endpoint() -> Response:
    """``GET /json``."""
    return json(JSON_BODY)


@app.router.get("/users/{id}/posts/{slug}")
async def user_post(id: int, slug: str) -> Response:
    """``GET /users/{id}/posts/{slug}``."""
    return text(param_text(id, slug))
