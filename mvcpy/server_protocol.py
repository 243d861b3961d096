"""uvicorn's HTTP protocol (httptools) with the limits a public server needs.

uvicorn waits forever for a request's headers (a connection that sends nothing, or one
header line a second, holds its slot: "slowloris") and for a body that trickles in, and
it serves an absolute-form target (``GET http://other.example/ HTTP/1.1``) under the
``Host`` header, dropping the authority the target named. This protocol, which
``mvcpy run`` and the gunicorn worker (:mod:`mvcpy.workers`) use, adds:

- ``[server] header_timeout`` (10 s): a request's line and headers must arrive within
  it, from the connection's start or the request's first byte; else 408 and close;
- ``[server] body_timeout`` (30 s): a body that sends nothing for that long gets 408
  (when no response started) and the connection is closed;
- absolute-form targets: the authority they name replaces ``Host``, as RFC 9112
  §3.2.2 requires, so ``allowed_hosts`` judges the host the client really asked for;
- strict request lines: ``METHOD SP target SP HTTP/1.x`` exactly (httptools lets
  ``GET  / HTTP/1.1`` through, two spaces); any other line is a 400. The line is checked
  when a request starts a read from the socket, which is every request but the second
  and later of a pipelined batch (which browsers do not send).

Between requests on a kept-alive connection, uvicorn's ``timeout_keep_alive`` applies.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttpToolsProtocol", "limits_of"]

logger = logging.getLogger("mvcpy.server")

#: RFC 9112 §3: method (a token), one space, the target (visible characters), one
#: space, the version; a bare LF ends a line too (§2.2 lets servers accept it).
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ [\x21-\x7e]+ HTTP/1\.[01]\r?\n")

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 15\r\nconnection: close\r\n\r\nRequest Timeout"
)


def limits_of(app: Any) -> tuple[float, float]:
    """``(header_timeout, body_timeout)`` from an mvcpy app's ``[server]``; the defaults
    for any other ASGI app."""
    from mvcpy.config import ServerSettings

    section_of = getattr(getattr(app, "config", None), "section_of", None)
    settings = section_of(ServerSettings) if section_of is not None else ServerSettings()
    return settings.header_timeout, settings.body_timeout


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body timeouts and absolute-form
    targets judged by their authority (see the module)."""

    _guard: asyncio.TimerHandle | None = None
    _limits: tuple[float, float] = (10.0, 30.0)
    #: the next bytes read start a request: its line is checked
    _line_next = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._limits = limits_of(self.app)
        self._arm(self._limits[0], "headers")

    def data_received(self, data: bytes) -> None:
        """Check the request line when these bytes start a request, then parse them."""
        if self._line_next and data:
            self._line_next = False
            end = data.find(b"\n", 0, 8192)
            if end >= 0 and _REQUEST_LINE.fullmatch(data, 0, end + 1) is None:
                self._unset_keepalive_if_required()
                self._disarm()
                self.send_400_response("Invalid HTTP request line.")
                return
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock."""
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A new request on the connection: its headers have ``header_timeout``."""
        super().on_message_begin()
        self._line_next = False  # it started inside bytes already read (pipelining)
        self._arm(self._limits[0], "headers")

    def on_headers_complete(self) -> None:
        """Headers in time: judge an absolute-form target by its authority, then wait for
        the body, if one is coming, with ``body_timeout`` between its chunks."""
        self._disarm()
        url = self.url
        if url[:7].lower() == b"http://" or url[:8].lower() == b"https://":
            authority = urlsplit(url).netloc.rsplit(b"@", 1)[-1]
            self.headers[:] = [(n, v) for n, v in self.headers if n != b"host"]
            self.headers.append((b"host", authority))
        super().on_headers_complete()
        if self.parser is not None and not self._body_done():
            self._arm(self._limits[1], "body")

    def _body_done(self) -> bool:
        for name, value in self.headers:
            if name == b"content-length":
                return value.strip() in (b"0", b"")
            if name == b"transfer-encoding":
                return False
        return True

    def on_body(self, body: bytes) -> None:
        """A chunk arrived: the next one has ``body_timeout`` again."""
        super().on_body(body)
        self._arm(self._limits[1], "body")

    def on_message_complete(self) -> None:
        """The whole request is in; the next bytes start another one."""
        self._disarm()
        self._line_next = True
        super().on_message_complete()

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._too_slow, what)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _too_slow(self, what: str) -> None:
        """Answer 408 (unless a response already started) and close the connection."""
        self._guard = None
        transport = self.transport
        if transport.is_closing():
            return
        cycle = self.cycle
        started = what == "body" and cycle is not None and cycle.response_started
        if not started:
            transport.write(_TIMEOUT_RESPONSE)
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        logger.info("%s sent its request's %s too slowly: 408, connection closed", client, what)
        transport.close()
