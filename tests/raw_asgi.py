"""Send one request to an ASGI app the way a server hands it over, bytes as they came.

For tests that need what an HTTP client will not send: two ``Host`` headers, none,
``GET *``, HTTP/0.9, raw bytes in the path. The path is the raw path percent-decoded,
as uvicorn does; an exception that escapes the app fails the calling test.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from mvcpy.types import Message

__all__ = ["send_raw"]


def send_raw(
    app: Any,
    method: str,
    raw_path: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    query: bytes = b"",
    body: bytes = b"",
    version: str = "1.1",
) -> tuple[int, bytes]:
    """Send the request through ASGI; return the status and the body the app answered."""
    sent: list[Message] = []
    chunks = [body]

    async def receive() -> Message:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": version,
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])
