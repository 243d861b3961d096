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
  ``GET  / HTTP/1.1`` through, two spaces, and a missing version); any other line is a
  400 (httptools itself refuses tabs, control characters and bad methods). The line is checked
  when a request starts a read from the socket, which is every request but the second
  and later of a pipelined batch (which browsers do not send).

Between requests on a kept-alive connection, uvicorn's ``timeout_keep_alive`` applies.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttpToolsProtocol", "limits_of"]

logger = logging.getLogger("mvcpy.server")

#: How a request line ends (RFC 9112 §3: one space before the version; §2.2 lets a
#: server accept a bare LF). httptools has checked the method and the target's bytes.
_LINE_ENDS = (b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", b" HTTP/1.1\n", b" HTTP/1.0\n")

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


#: How often the server's connections are checked: a timeout fires between its limit
#: and its limit plus this (seconds).
SWEEP_INTERVAL = 0.5

_HEADERS, _BODY = 0, 1
#: PERF: the base class's callbacks, called directly (super() costs a lookup per call)
_base = HttpToolsProtocol


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body timeouts, strict request lines
    and absolute-form targets judged by their authority (see the module).

    PERF: a request only notes what it waits for (headers, body, or nothing); one timer
    per server sweeps its connections every :data:`SWEEP_INTERVAL`, stamps when it first
    sees a connection waiting, and times out those waiting too long. No clock is read and
    no timer set per request: a timer each cost about 4 µs (uvloop's call_later and
    cancel), reading the clock a few tenths (BENCHMARKS.md).
    """

    #: what the connection waits for (_HEADERS, _BODY), or None between requests
    _waiting: int | None = _HEADERS
    #: when the sweeper first saw it waiting for that (the loop's clock), or None
    _since: float | None = None
    _limits: tuple[float, float] = (10.0, 30.0)
    #: the next bytes read start a request: its line is checked
    _line_next = True
    #: the start of a request line that has not ended yet (it arrived in pieces)
    _head = b""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wait for the first request's headers; start the server's sweeper."""
        super().connection_made(transport)
        self._limits = limits_of(self.app)
        self._since = self.loop.time()  # a connection that sends nothing counts too
        state: Any = self.server_state
        if not getattr(state, "mvcpy_sweeping", False):
            state.mvcpy_sweeping = True
            self.loop.call_later(SWEEP_INTERVAL, _sweep, self.loop, state)

    def data_received(self, data: bytes) -> None:
        """Check the request line when these bytes start a request, then parse them."""
        if self._line_next:
            head = self._head + data if self._head else data
            end = head.find(b"\n", 0, 8192) + 1
            if end or len(head) >= 8192:
                self._line_next, self._head = False, b""
                # METHOD SP target SP version: exactly two spaces, the version last.
                # PERF: two C calls; a regex cost about 1 µs a request.
                if end and (head.count(b" ", 0, end) != 2 or not head.endswith(_LINE_ENDS, 0, end)):
                    self._unset_keepalive_if_required()
                    self._waiting = None
                    self.send_400_response("Invalid HTTP request line.")
                    return
            else:  # the line arrives in pieces: check it once it is whole
                self._head = head
        _base.data_received(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop waiting."""
        self._waiting = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A new request on the connection: its headers have ``header_timeout``."""
        _base.on_message_begin(self)
        if not self._head:  # it started inside bytes already read (pipelining)
            self._line_next = False
        self._waiting, self._since = _HEADERS, None

    def on_headers_complete(self) -> None:
        """Headers in time: judge an absolute-form target by its authority, then give the
        body (if any: a request without one completes at once) ``body_timeout``."""
        url = self.url
        if url[0] != 47 and (url[:7].lower() == b"http://" or url[:8].lower() == b"https://"):
            authority = urlsplit(url).netloc.rsplit(b"@", 1)[-1]
            self.headers[:] = [(n, v) for n, v in self.headers if n != b"host"]
            self.headers.append((b"host", authority))
        self._waiting, self._since = _BODY, None
        _base.on_headers_complete(self)

    def on_body(self, body: bytes) -> None:
        """A chunk arrived: the next one has ``body_timeout`` again."""
        _base.on_body(self, body)
        self._since = None

    def on_message_complete(self) -> None:
        """The whole request is in; the next bytes start another one."""
        self._waiting = None
        self._line_next = True
        _base.on_message_complete(self)

    def _too_slow(self, what: str) -> None:
        """Answer 408 (unless a response already started) and close the connection."""
        self._waiting = None
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


def _sweep(loop: asyncio.AbstractEventLoop, state: Any) -> None:
    """Time out the server's connections that have waited too long; check again soon."""
    now = loop.time()
    for connection in list(state.connections):
        waiting = getattr(connection, "_waiting", None)
        if waiting is None:
            continue
        since = connection._since
        if since is None:
            connection._since = now
        elif now - since > connection._limits[waiting]:
            connection._too_slow("headers" if waiting == _HEADERS else "body")
    loop.call_later(SWEEP_INTERVAL, _sweep, loop, state)
