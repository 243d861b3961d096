"""Litestar with ``async def`` handlers and typed path parameters."""

from __future__ import annotations

from litestar import Litestar, MediaType, get

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)


@get(filler_static_paths(), media_type=MediaType.TEXT)
async def filler() -> str:
    """Every static filler route."""
    return "filler"


@get(filler_param_paths(lambda n: "{" + n + ":str}"), media_type=MediaType.TEXT)
async def filler_item(id: str) -> str:
    """Every filler route with an ``id``."""
    return id


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    """``GET /plaintext``."""
    return PLAINTEXT


@get("/json")
async def json_endpoint() -> dict[str, str]:
    """``GET /json``."""
    return JSON_BODY


@get("/users/{id:int}/posts/{slug:str}", media_type=MediaType.TEXT)
async def user_post(id: int, slug: str) -> str:
    """``GET /users/{id:int}/posts/{slug:str}``."""
    return param_text(id, slug)


app = Litestar(route_handlers=[filler, filler_item, plaintext, json_endpoint, user_post])
