"""The in-process scenario after gocraft/web's benchmark: one app, four ways.

163 routes: 10 filler resources (4 routes each, 2 static and 2 with a parameter) at the
root and at each of three nested namespaces ``/v1``, ``/v1/shop`` and
``/v1/shop/admin``, plus the three measured routes in the deepest one. Six pass-through
filters wrap them: two on the app, two on ``/v1``, one on ``/shop``, one on ``/admin``.
The measured routes come after the fillers of their namespace, so a router that scans
in order (Starlette) walks past those 40 as it would in a real app; Starlette's nested
``Mount``s are listed first at each level, its best case.

Each ``build_*`` function returns an ASGI app for mvcpy, Starlette, Litestar and a
hand-written raw ASGI callable doing the same job.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.apps.raw_asgi import dumps as raw_dumps
from benchmarks.apps.spec import JSON_BODY, PLAINTEXT, param_text

__all__ = [
    "BUILDERS",
    "ENDPOINTS",
    "EXPECTED",
    "LEVELS",
    "ROUTE_COUNT",
    "build_litestar",
    "build_mvcpy",
    "build_raw",
    "build_starlette",
]

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

#: The three nested namespaces, outermost first.
LEVELS = ("/v1", "/shop", "/admin")
PREFIX = "".join(LEVELS)
#: Filters per level: the app, then each namespace; six in all.
FILTERS_PER_LEVEL = (2, 2, 1, 1)
RESOURCES_PER_LEVEL = 10
ROUTE_COUNT = (len(LEVELS) + 1) * RESOURCES_PER_LEVEL * 4 + 3

#: Measured endpoint -> request path.
ENDPOINTS = {
    "static": f"{PREFIX}/plaintext",
    "2 params": f"{PREFIX}/users/123/posts/hello-world",
    "json": f"{PREFIX}/json",
}
#: Measured endpoint -> expected body.
EXPECTED = {
    "static": PLAINTEXT.encode(),
    "2 params": param_text(123, "hello-world").encode(),
    "json": json.dumps(JSON_BODY, separators=(",", ":")).encode(),
}


def _filler_paths(level: int, param: Callable[[str], str]) -> tuple[list[str], list[str]]:
    """Static and parameter filler paths of one level (relative to its namespace)."""
    static: list[str] = []
    dynamic: list[str] = []
    for i in range(RESOURCES_PER_LEVEL):
        name = f"l{level}r{i}"
        static += [f"/{name}", f"/{name}/new"]
        dynamic += [f"/{name}/{param('id')}", f"/{name}/{param('id')}/edit"]
    return static, dynamic


# -- mvcpy --------------------------------------------------------------------------------
def build_mvcpy() -> ASGIApp:
    """mvcpy: controllers, nested ``app.namespace`` blocks, async filters."""
    from mvcpy import App, Controller

    class FillerController(Controller):
        async def get(self) -> object:
            return self.text("filler")

    class FillerItemController(Controller):
        async def show(self, id: str) -> object:
            return self.text(id)

    class PlaintextController(Controller):
        async def get(self) -> object:
            return self.text(PLAINTEXT)

    class JsonController(Controller):
        async def get(self) -> object:
            return dict(JSON_BODY)

    class PostsController(Controller):
        async def show(self, id: int, slug: str) -> object:
            return self.text(param_text(id, slug))

    def filters(count: int) -> list[Any]:
        async def passthrough(ctx: Any, call_next: Any) -> Any:
            return await call_next(ctx)

        return [passthrough] * count

    def fill(ns: Any, level: int) -> None:
        static, dynamic = _filler_paths(level, lambda n: "{" + n + "}")
        for path in static:
            ns.router(path, FillerController)
        for path in dynamic:
            ns.router(path, FillerItemController, "get:show")

    app = App(__name__, env="prod", config={"secret_key": "benchmark-" + "x" * 32})
    app.use(*filters(FILTERS_PER_LEVEL[0]))
    fill(app, 0)
    with app.namespace(LEVELS[0], filters=filters(FILTERS_PER_LEVEL[1])) as v1:
        fill(v1, 1)
        with v1.namespace(LEVELS[1], filters=filters(FILTERS_PER_LEVEL[2])) as shop:
            fill(shop, 2)
            with shop.namespace(LEVELS[2], filters=filters(FILTERS_PER_LEVEL[3])) as admin:
                fill(admin, 3)
                admin.router("/plaintext", PlaintextController)
                admin.router("/json", JsonController)
                admin.router("/users/{id:int}/posts/{slug}", PostsController, "get:show")
    return app


# -- Starlette ----------------------------------------------------------------------------
class _StarlettePassThrough:
    """A pure ASGI middleware that does nothing (Starlette's recommended middleware form)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def build_starlette() -> ASGIApp:
    """Starlette: nested ``Mount``s with ``middleware=`` and ``Route``s."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import BaseRoute, Mount, Route

    async def filler(request: Request) -> Response:
        return PlainTextResponse("filler")

    async def filler_item(request: Request) -> Response:
        return PlainTextResponse(request.path_params["id"])

    async def plaintext(request: Request) -> Response:
        return PlainTextResponse(PLAINTEXT)

    async def json_endpoint(request: Request) -> Response:
        return JSONResponse(JSON_BODY)

    async def user_post(request: Request) -> Response:
        params = request.path_params
        return PlainTextResponse(param_text(params["id"], params["slug"]))

    def fill(level: int) -> list[BaseRoute]:
        static, dynamic = _filler_paths(level, lambda n: "{" + n + "}")
        return [Route(p, filler) for p in static] + [Route(p, filler_item) for p in dynamic]

    def middleware(count: int) -> list[Middleware]:
        return [Middleware(_StarlettePassThrough) for _ in range(count)]

    admin = Mount(
        LEVELS[2],
        routes=[
            *fill(3),
            Route("/plaintext", plaintext),
            Route("/json", json_endpoint),
            Route("/users/{id:int}/posts/{slug}", user_post),
        ],
        middleware=middleware(FILTERS_PER_LEVEL[3]),
    )
    # Each Mount goes *before* its level's fillers: Starlette scans in order, and this is
    # its best case for the measured routes (the deepest level's fillers are still scanned).
    shop = Mount(LEVELS[1], routes=[admin, *fill(2)], middleware=middleware(FILTERS_PER_LEVEL[2]))
    v1 = Mount(LEVELS[0], routes=[shop, *fill(1)], middleware=middleware(FILTERS_PER_LEVEL[1]))
    return Starlette(routes=[v1, *fill(0)], middleware=middleware(FILTERS_PER_LEVEL[0]))


# -- Litestar -----------------------------------------------------------------------------
def _litestar_passthrough(app: ASGIApp) -> ASGIApp:
    """A pure ASGI middleware factory that does nothing."""

    async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app(scope, receive, send)

    return middleware


def build_litestar() -> ASGIApp:
    """Litestar: nested ``Router``s with ``middleware=`` and typed handlers."""
    from litestar import Litestar, MediaType, Router, get

    def fill(level: int) -> list[Any]:
        static, dynamic = _filler_paths(level, lambda n: "{" + n + ":str}")

        @get(static, media_type=MediaType.TEXT)
        async def filler() -> str:
            return "filler"

        @get(dynamic, media_type=MediaType.TEXT)
        async def filler_item(id: str) -> str:
            return id

        return [filler, filler_item]

    @get("/plaintext", media_type=MediaType.TEXT)
    async def plaintext() -> str:
        return PLAINTEXT

    @get("/json")
    async def json_endpoint() -> dict[str, str]:
        return JSON_BODY

    @get("/users/{id:int}/posts/{slug:str}", media_type=MediaType.TEXT)
    async def user_post(id: int, slug: str) -> str:
        return param_text(id, slug)

    def middleware(count: int) -> list[Any]:
        return [_litestar_passthrough] * count

    admin = Router(
        LEVELS[2],
        route_handlers=[*fill(3), plaintext, json_endpoint, user_post],
        middleware=middleware(FILTERS_PER_LEVEL[3]),
    )
    shop = Router(
        LEVELS[1], route_handlers=[*fill(2), admin], middleware=middleware(FILTERS_PER_LEVEL[2])
    )
    v1 = Router(
        LEVELS[0], route_handlers=[*fill(1), shop], middleware=middleware(FILTERS_PER_LEVEL[1])
    )
    return Litestar(
        route_handlers=[*fill(0), v1],
        middleware=middleware(FILTERS_PER_LEVEL[0]),
        openapi_config=None,
    )


# -- raw ASGI -----------------------------------------------------------------------------
def build_raw() -> ASGIApp:
    """A hand-written ASGI callable: a dict for static paths, a split for parameters,
    orjson (when installed) for JSON, wrapped in six pass-through ASGI layers like the
    frameworks' filters."""
    text_headers = [(b"content-type", b"text/plain; charset=utf-8")]
    json_headers = [(b"content-type", b"application/json")]

    async def answer(send: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def filler(scope: dict[str, Any], send: Any) -> None:
        await answer(send, text_headers, b"filler")

    async def plaintext(scope: dict[str, Any], send: Any) -> None:
        await answer(send, text_headers, PLAINTEXT.encode())

    async def json_endpoint(scope: dict[str, Any], send: Any) -> None:
        await answer(send, json_headers, raw_dumps(JSON_BODY))

    static: dict[str, Any] = {}
    param_prefixes: set[str] = set()
    prefix = ""
    for level in range(len(LEVELS) + 1):
        paths, dynamic = _filler_paths(level, lambda n: "{" + n + "}")
        static.update(dict.fromkeys((prefix + p for p in paths), filler))
        param_prefixes.update(prefix + p.split("/{", 1)[0] for p in dynamic)
        if level < len(LEVELS):
            prefix += LEVELS[level]
    static[f"{PREFIX}/plaintext"] = plaintext
    static[f"{PREFIX}/json"] = json_endpoint
    namespace = PREFIX.split("/")[1:]

    async def router(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        handler = static.get(path)
        if handler is not None:
            await handler(scope, send)
            return
        parts = path.split("/")
        if (
            len(parts) == 8
            and parts[1:4] == namespace
            and parts[4] == "users"
            and parts[6] == "posts"
            and parts[5].isdigit()
        ):
            await answer(send, text_headers, param_text(int(parts[5]), parts[7]).encode())
            return
        head = parts[:-2] if parts[-1] == "edit" else parts[:-1]
        if "/".join(head) in param_prefixes:
            await filler(scope, send)
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def passthrough(inner: ASGIApp) -> ASGIApp:
        async def layer(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await inner(scope, receive, send)

        return layer

    app: ASGIApp = router
    for _ in range(sum(FILTERS_PER_LEVEL)):
        app = passthrough(app)
    return app


#: Framework label -> builder, in report order.
BUILDERS: dict[str, Callable[[], ASGIApp]] = {
    "raw ASGI": build_raw,
    "mvcpy": build_mvcpy,
    "Starlette": build_starlette,
    "Litestar": build_litestar,
}
