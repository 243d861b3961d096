"""FastAPI with ``async def`` path operations and typed parameters."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)

app = FastAPI()


async def filler() -> PlainTextResponse:
    """Every static filler route."""
    return PlainTextResponse("filler")


async def filler_item(id: str) -> PlainTextResponse:
    """Every filler route with an ``id``."""
    return PlainTextResponse(id)


for _path in filler_static_paths():
    app.add_api_route(_path, filler, methods=["GET"])
for _path in filler_param_paths(lambda n: "{" + n + "}"):
    app.add_api_route(_path, filler_item, methods=["GET"])


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    """``GET /plaintext``."""
    return PLAINTEXT


@app.get("/json")
async def json_endpoint() -> dict[str, str]:
    """``GET /json``."""
    return JSON_BODY


@app.get("/users/{id}/posts/{slug}", response_class=PlainTextResponse)
async def user_post(id: int, slug: str) -> str:
    """``GET /users/{id}/posts/{slug}``."""
    return param_text(id, slug)
