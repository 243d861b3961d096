"""The response family: plain bytes, text, HTML, JSON, redirects and streams."""

from __future__ import annotations

import asyncio
import http.cookies
import re
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Iterator, Mapping
from datetime import datetime
from email.utils import format_datetime
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from mvcpy.http import _json
from mvcpy.types import Receive, Scope, Send

__all__ = [
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "iterate",
]

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None

_CONTENT_LENGTH = b"content-length"
_CONTENT_TYPE = b"content-type"
_SET_COOKIE = b"set-cookie"


#: What a header name is (an RFC 9110 token), and what a value may not hold: control
#: characters other than tab (CR and LF would split the response, NUL and DEL are refused
#: by servers, which then drop the connection without an answer).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FORBIDDEN_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """Return the header as sent (the name in lower case); ValueError for a name that is
    no token or a value with control characters, so the app answers a logged 500 rather
    than the server closing the connection."""
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"header name {name!r} is not a token (RFC 9110)")
    if _FORBIDDEN_IN_VALUE.search(value):
        raise ValueError(
            f"header {name!r}: the value {value[:60]!r} holds a control character "
            "(CR, LF, NUL, DEL...), which would break the response"
        )
    return name.lower().encode("latin-1"), value.encode("latin-1")


def _encode_headers(headers: HeadersArg) -> list[tuple[bytes, bytes]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [encode_header(k, v) for k, v in items]


class Response:
    """An HTTP response with a body known in advance.

    Headers are multi-valued: :meth:`add_header` appends, :meth:`set_header` replaces.
    """

    __slots__ = ("body", "raw_headers", "status")

    media_type: ClassVar[str | None] = None
    charset: ClassVar[str] = "utf-8"
    # PERF: the class's Content-Type header value, encoded once per class.
    _content_type: ClassVar[bytes | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        media_type = cls.media_type
        cls._content_type = _content_type_value(media_type, cls.charset) if media_type else None

    def __init__(
        self,
        content: bytes | str | None = b"",
        status: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
    ) -> None:
        self.status = status
        self.body = self.render(content)
        if headers is None and media_type is None:
            content_type = self._content_type
            self.raw_headers = [(_CONTENT_TYPE, content_type)] if content_type is not None else []
            return
        self.raw_headers = _encode_headers(headers)
        media_type = media_type or self.media_type
        if media_type is not None and self.get_header("content-type") is None:
            self.raw_headers.append((_CONTENT_TYPE, _content_type_value(media_type, self.charset)))

    def render(self, content: Any) -> bytes:
        """Turn ``content`` into the body bytes."""
        if type(content) is str:
            return content.encode(self.charset)
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        return str(content).encode(self.charset)

    def get_header(self, name: str) -> str | None:
        """Return the first value of header ``name``, or ``None``."""
        key = name.lower().encode("latin-1")
        for k, v in self.raw_headers:
            if k == key:
                return v.decode("latin-1")
        return None

    @property
    def headers(self) -> dict[str, str]:
        """The headers as a dict (the last value wins; use :attr:`raw_headers` for all)."""
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_headers}

    def set_header(self, name: str, value: str) -> None:
        """Set header ``name`` to ``value``, replacing any earlier value."""
        header = encode_header(name, value)
        key = header[0]
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != key]
        self.raw_headers.append(header)

    def add_header(self, name: str, value: str) -> None:
        """Append a value for header ``name`` (headers may repeat)."""
        self.raw_headers.append(encode_header(name, value))

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | int | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Add a ``Set-Cookie`` header; ``HttpOnly`` and ``SameSite=Lax`` are on by default."""
        self.add_header(
            "set-cookie",
            format_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite),
        )

    def delete_cookie(
        self, key: str, path: str = "/", domain: str | None = None, secure: bool = False
    ) -> None:
        """Tell the client to drop cookie ``key``."""
        self.set_cookie(key, "", max_age=0, expires=0, path=path, domain=domain, secure=secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.body
        # Copied, not appended in place, so a response object can be sent twice.
        headers = self.raw_headers.copy()
        status = self.status
        if status >= 200 and status != 204 and status != 304:  # RFC 9110 §8.6
            headers.append((_CONTENT_LENGTH, b"%d" % len(body)))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status}>"


def _content_type_value(media_type: str, charset: str) -> bytes:
    if media_type.startswith("text/") and "charset=" not in media_type:
        media_type = f"{media_type}; charset={charset}"
    return media_type.encode("latin-1")


def format_cookie(
    key: str,
    value: str,
    max_age: int | None,
    expires: datetime | int | None,
    path: str | None,
    domain: str | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
) -> str:
    """Format one ``Set-Cookie`` header value."""
    cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    cookie[key] = value
    morsel = cookie[key]
    if max_age is not None:
        morsel["max-age"] = max_age
    if expires is not None:
        if isinstance(expires, datetime):
            morsel["expires"] = format_datetime(expires, usegmt=True)
        else:
            morsel["expires"] = expires
    if path is not None:
        morsel["path"] = path
    if domain is not None:
        morsel["domain"] = domain
    if secure:
        morsel["secure"] = True
    if httponly:
        morsel["httponly"] = True
    if samesite is not None:
        if samesite.lower() not in ("lax", "strict", "none"):
            raise ValueError("samesite must be 'lax', 'strict' or 'none'")
        morsel["samesite"] = samesite.capitalize()
    return morsel.OutputString()


class PlainTextResponse(Response):
    """A ``text/plain`` response."""

    __slots__ = ()
    media_type = "text/plain"


class HTMLResponse(Response):
    """A ``text/html`` response."""

    __slots__ = ()
    media_type = "text/html"


class JSONResponse(Response):
    """A JSON response; datetimes, UUIDs, Decimals, dataclasses and pydantic models serialise."""

    __slots__ = ()
    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(content, status, headers, media_type)

    def render(self, content: Any) -> bytes:
        """Encode ``content`` as compact UTF-8 JSON."""
        return _json.dumps(content)


class RedirectResponse(Response):
    """A redirect to ``url`` (302 by default)."""

    __slots__ = ()

    def __init__(self, url: str, status: int = 302, headers: HeadersArg = None) -> None:
        super().__init__(b"", status, headers)
        self.set_header("location", quote(url, safe=":/%#?=@[]!$&'()*+,;~"))


class StreamingResponse(Response):
    """A response whose body comes from a sync or async iterator, sent chunk by chunk.

    A sync iterator is advanced on a worker thread so it never blocks the event loop.
    When the client goes away the iterator is closed.
    """

    __slots__ = ("content",)

    def __init__(
        self,
        content: Iterable[bytes | str] | AsyncIterable[bytes | str],
        status: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(b"", status, headers, media_type)
        self.content = content

    async def _stream(self, scope: Scope, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status, "headers": self.raw_headers}
        )
        if scope["method"] != "HEAD":
            chunks = iterate(self.content)
            try:
                async for chunk in chunks:
                    data = chunk if isinstance(chunk, bytes) else chunk.encode(self.charset)
                    if data:
                        await send({"type": "http.response.body", "body": data, "more_body": True})
            finally:
                await chunks.aclose()
                aclose = getattr(self.content, "aclose", None)
                if aclose is not None:
                    await aclose()
        await send({"type": "http.response.body", "body": b""})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = asyncio.ensure_future(self._stream(scope, send))
        disconnect = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait((stream, disconnect), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stream, disconnect):
                if not task.done():
                    task.cancel()
            await asyncio.gather(stream, disconnect, return_exceptions=True)
        if stream.done() and not stream.cancelled() and stream.exception() is not None:
            raise stream.exception()  # type: ignore[misc]


async def iterate(
    content: Iterable[bytes | str] | AsyncIterable[bytes | str],
) -> AsyncGenerator[bytes | str, None]:
    """Yield the chunks of a sync or async iterable; a sync one advances on a worker thread
    (so it never blocks the event loop) and is closed when the stream stops early."""
    if isinstance(content, AsyncIterable):
        async for chunk in content:
            yield chunk
        return
    iterator: Iterator[bytes | str] = iter(content)
    loop = asyncio.get_running_loop()
    try:
        while True:
            item = await loop.run_in_executor(None, _next_chunk, iterator)
            if item is None:
                return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _next_chunk(iterator: Iterator[bytes | str]) -> bytes | str | None:
    """Advance a sync iterator on a worker thread; ``None`` when it is exhausted."""
    return next(iterator, None)


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
