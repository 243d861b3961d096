"""Starlette in the gocraft/web scenario, plain and with the equivalents of mvcpy's four.

``full`` adds asgi-correlation-id's ``CorrelationIdMiddleware`` (request IDs), an access
log middleware writing JSON lines through ``logging`` (Starlette has none; uvicorn's
runs outside the app), ``CORSMiddleware``, and a security-headers middleware (Starlette
has none), all pure ASGI, as Starlette recommends.
"""

from __future__ import annotations

import json
import time
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.middleware.cors import CORSMiddleware

from benchmarks.apps.filters_common import SECURITY_HEADERS, discard_log
from benchmarks.scenario import build_starlette

ORIGIN = "https://app.example"
access = discard_log("bench.starlette.access")


class AccessLogMiddleware:
    """Log one JSON line per request: method, path, status, bytes, latency, client, agent."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        size = 0

        async def record(message: dict[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, record)
        headers = dict(scope["headers"])
        client = scope.get("client")
        access.info(
            json.dumps(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "bytes": size,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                    "client": client[0] if client else "-",
                    "user_agent": headers.get(b"user-agent", b"-").decode("latin-1"),
                    "request_id": headers.get(b"x-request-id", b"-").decode("latin-1"),
                },
                separators=(",", ":"),
            )
        )


class SecurityHeadersMiddleware:
    """Add the three default security headers to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def add(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, add)


plain = build_starlette()

_inner = build_starlette()
full = CorrelationIdMiddleware(
    AccessLogMiddleware(
        CORSMiddleware(SecurityHeadersMiddleware(_inner), allow_origins=[ORIGIN])  # type: ignore[arg-type]
    )
)
