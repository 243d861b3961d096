"""Litestar in the gocraft/web scenario, plain and with the equivalents of mvcpy's four.

``full`` adds asgi-correlation-id (request IDs; Litestar has none built in), Litestar's
own ``LoggingMiddlewareConfig`` (request and response logged through ``logging`` to
/dev/null), ``CORSConfig``, and a pure-ASGI security-headers middleware (Litestar has
none). Litestar takes these at construction, so the scenario's builder is run with the
``Litestar`` class swapped for one that adds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import litestar
from asgi_correlation_id import CorrelationIdMiddleware
from litestar.config.cors import CORSConfig
from litestar.logging.config import LoggingConfig
from litestar.middleware.logging import LoggingMiddlewareConfig

from benchmarks.apps.filters_common import SECURITY_HEADERS
from benchmarks.scenario import build_litestar

ORIGIN = "https://app.example"


def _security(app: Any) -> Any:
    async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def add(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await app(scope, receive, add)

    return middleware


@contextmanager
def _with_builtins() -> Iterator[None]:
    original = litestar.Litestar

    def build(*args: Any, **kwargs: Any) -> Any:
        kwargs["middleware"] = [
            LoggingMiddlewareConfig(logger_name="bench.litestar").middleware,
            _security,
            *kwargs.get("middleware", []),
        ]
        kwargs["cors_config"] = CORSConfig(allow_origins=[ORIGIN])
        kwargs["logging_config"] = LoggingConfig(
            configure_root_logger=False,
            handlers={"devnull": {"class": "logging.FileHandler", "filename": "/dev/null"}},
            loggers={
                "bench.litestar": {"level": "INFO", "handlers": ["devnull"], "propagate": False}
            },
        )
        return original(*args, **kwargs)

    litestar.Litestar = build  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        litestar.Litestar = original  # type: ignore[misc]


plain = build_litestar()
with _with_builtins():
    full = CorrelationIdMiddleware(build_litestar())
