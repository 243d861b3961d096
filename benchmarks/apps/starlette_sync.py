"""Starlette with plain ``def`` endpoints, which Starlette runs in its thread pool."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)


def filler(request: Request) -> Response:
    """Every filler route."""
    return PlainTextResponse("filler")


def plaintext(request: Request) -> Response:
    """``GET /plaintext``."""
    return PlainTextResponse(PLAINTEXT)


def json_endpoint(request: Request) -> Response:
    """``GET /json``."""
    return JSONResponse(JSON_BODY)


def user_post(request: Request) -> Response:
    """``GET /users/{id:int}/posts/{slug}``."""
    params = request.path_params
    return PlainTextResponse(param_text(params["id"], params["slug"]))


routes = [Route(p, filler) for p in filler_static_paths()]
routes += [Route(p, filler) for p in filler_param_paths(lambda n: "{" + n + "}")]
routes += [
    Route("/plaintext", plaintext),
    Route("/json", json_endpoint),
    Route("/users/{id:int}/posts/{slug}", user_post),
]
app = Starlette(routes=routes)
