"""The baseline: a hand-written ASGI 3 callable, no framework.

Static paths are one dict lookup, the parameter route a split of the path; the JSON
body is encoded per request, as a framework does, with the fastest encoder at hand
(orjson when installed, as mvcpy does, else the standard library).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)

Message = dict[str, Any]

try:
    from orjson import dumps as json_dumps
except ImportError:  # pragma: no cover - depends on the environment

    def json_dumps(obj: Any) -> bytes:
        """Compact JSON, as bytes."""
        return json.dumps(obj, separators=(",", ":")).encode()


dumps: Callable[[Any], bytes] = json_dumps

_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
_JSON = [(b"content-type", b"application/json")]


def _start(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Message:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    }


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send(_start(status, headers, body))
    await send({"type": "http.response.body", "body": body})


async def plaintext(scope: Message, send: Any) -> None:
    """``GET /plaintext``."""
    await _send(send, 200, _TEXT, PLAINTEXT.encode())


async def json_endpoint(scope: Message, send: Any) -> None:
    """``GET /json``."""
    await _send(send, 200, _JSON, dumps(JSON_BODY))


async def filler(scope: Message, send: Any) -> None:
    """Every filler route."""
    await _send(send, 200, _TEXT, b"filler")


STATIC = {"/plaintext": plaintext, "/json": json_endpoint}
STATIC.update(dict.fromkeys(filler_static_paths(), filler))
#: Parameter filler shapes, as (resource, tail) after the split: /api/resNN/{id}[/edit].
FILLER_PARAM = {p.split("/")[2] for p in filler_param_paths(lambda n: n)}


async def app(scope: Message, receive: Any, send: Any) -> None:
    """The ASGI entry point."""
    kind = scope["type"]
    if kind == "http":
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, _TEXT, b"Method Not Allowed")
            return
        path = scope["path"]
        handler = STATIC.get(path)
        if handler is not None:
            await handler(scope, send)
            return
        parts = path.split("/")
        if len(parts) == 5 and parts[1] == "users" and parts[3] == "posts" and parts[2].isdigit():
            body = param_text(int(parts[2]), parts[4]).encode()
            await _send(send, 200, _TEXT, body)
        elif len(parts) in (4, 5) and parts[1] == "api" and parts[2] in FILLER_PARAM:
            if len(parts) == 4 or parts[4] == "edit":
                await filler(scope, send)
            else:
                await _send(send, 404, _TEXT, b"Not Found")
        else:
            await _send(send, 404, _TEXT, b"Not Found")
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
