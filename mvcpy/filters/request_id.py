"""Request IDs: keep a well-formed incoming ``X-Request-ID`` or make one, and echo it."""

from __future__ import annotations

import contextvars
import logging
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["RequestID", "RequestIDLogFilter", "current_request_id"]

#: The request id of the request being served on this task (``None`` outside requests).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "mvcpy_request_id", default=None
)


class RequestID:
    """Give every request an id: ``ctx.request_id``, the response header, logs, error bodies.

    An incoming header is kept only when it is at most ``max_length`` visible ASCII
    characters; anything else (too long, spaces, control characters, non-ASCII) is
    replaced by a fresh random id.
    """

    __slots__ = ("_header", "_pattern", "_raw_header", "header", "max_length", "trust_incoming")

    def __init__(
        self, header: str = "X-Request-ID", max_length: int = 128, trust_incoming: bool = True
    ) -> None:
        if max_length < 1:
            raise ValueError("max_length must be positive")
        self.header = header
        self.max_length = max_length
        self.trust_incoming = trust_incoming
        self._header = header.lower()
        self._raw_header = self._header.encode("latin-1")
        self._pattern = re.compile(rf"[\x21-\x7e]{{1,{max_length}}}")

    def make_id(self) -> str:
        """Return a fresh request id (32 random hex digits)."""
        # PERF: os.urandom(16).hex() is ~5x cheaper than uuid.uuid4().hex, same randomness.
        return os.urandom(16).hex()

    def accept(self, value: str | None) -> str:
        """Return ``value`` when it is a acceptable id, else a fresh one."""
        if value and self.trust_incoming and self._pattern.fullmatch(value):
            return value
        return self.make_id()

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Set ``ctx.request_id``, run the chain, and echo the id in the response."""
        request_id = self.accept(ctx.request.headers.get(self._header))
        ctx.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response: Response = await call_next(ctx)
        finally:
            current_request_id.reset(token)
        raw = response.raw_headers
        name = self._raw_header
        for key, _ in raw:
            if key == name:  # the action chose its own: keep it
                return response
        raw.append((name, request_id.encode("latin-1")))
        return response

    def __repr__(self) -> str:
        return f"RequestID(header={self.header!r})"


class RequestIDLogFilter(logging.Filter):
    """Add ``record.request_id`` to log records (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate ``record`` and keep it."""
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get() or "-"
        return True
