"""The request: a thin, lazy view over the ASGI scope."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

from mvcpy.errors import ClientDisconnected, HTTPError
from mvcpy.http import _json
from mvcpy.http.datastructures import Headers, MultiDict
from mvcpy.http.form import FormData, FormLimits, parse_multipart, parse_urlencoded
from mvcpy.types import Receive, Scope

__all__ = ["ClientDisconnected", "Request", "State"]

_EMPTY_FORM: FormData = MultiDict()


class State:
    """Per-request values shared by filters and the action (attribute or item access)."""

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[key] = value

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value stored under ``key``, or ``default``."""
        return self.__dict__.get(key, default)

    def __repr__(self) -> str:
        return f"State({self.__dict__!r})"


class Request:
    """An HTTP request. Headers, query, cookies and body are parsed on first use.

    Coroutine methods (``body``, ``json``, ``form``) are for async code; sync code
    running on a worker thread uses ``read_body``, ``read_json`` and ``read_form``.
    Users may attach their own attributes.
    """

    __slots__ = (
        "__dict__",
        "_body",
        "_cleanups",
        "_cookies",
        "_form",
        "_headers",
        "_json",
        "_query",
        "_receive",
        "_state",
        "form_limits",
        "loop",
        "max_body_size",
        "scope",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        max_body_size: int = 1024 * 1024,
        form_limits: FormLimits | None = None,
    ) -> None:
        self.scope = scope
        self._receive = receive
        self.max_body_size = max_body_size
        self.form_limits = form_limits
        self._body: bytes | None = None
        self._headers: Headers | None = None
        self._query: MultiDict[str] | None = None
        self._cookies: dict[str, str] | None = None
        self._form: FormData | None = None
        self._json: Any = _EMPTY_FORM  # sentinel: not parsed yet
        self._state: State | None = None
        self._cleanups: list[Any] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    # -- the request line -------------------------------------------------------------
    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return self.scope["method"]  # type: ignore[no-any-return]

    @property
    def path(self) -> str:
        """The decoded path, without the query string."""
        return self.scope["path"]  # type: ignore[no-any-return]

    @property
    def query_string(self) -> str:
        """The raw query string."""
        return self.scope.get("query_string", b"").decode("latin-1")  # type: ignore[no-any-return]

    @property
    def scheme(self) -> str:
        """``http`` or ``https`` (``ws``/``wss`` for WebSockets)."""
        return self.scope.get("scheme", "http")  # type: ignore[no-any-return]

    @property
    def host(self) -> str:
        """The ``Host`` header, or the server address when it is absent."""
        host = self.headers.get("host")
        if host:
            return host
        server = self.scope.get("server")
        if server:
            return f"{server[0]}:{server[1]}"
        return "localhost"

    @property
    def base_url(self) -> str:
        """``scheme://host`` plus the mount point."""
        return f"{self.scheme}://{self.host}{self.scope.get('root_path', '')}"

    @property
    def url(self) -> str:
        """The full URL of the request."""
        raw = self.scope.get("raw_path")
        path = raw.decode("latin-1") if raw else self.path
        qs = self.query_string
        return f"{self.base_url}{path}" + (f"?{qs}" if qs else "")

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's (address, port), when the server knows it."""
        client = self.scope.get("client")
        return (client[0], client[1]) if client else None

    @property
    def headers(self) -> Headers:
        """Case-insensitive, multi-valued headers."""
        if self._headers is None:
            self._headers = Headers(self.scope["headers"])
        return self._headers

    @property
    def content_type(self) -> str:
        """The media type of the body, lower case, without parameters."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def query(self) -> MultiDict[str]:
        """The query string as a multi-dict."""
        if self._query is None:
            qs = self.scope.get("query_string", b"")
            self._query = MultiDict(
                parse_qsl(qs.decode("latin-1"), keep_blank_values=True) if qs else ()
            )
        return self._query

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies the client sent (a malformed pair is skipped, not fatal)."""
        if self._cookies is None:
            cookies: dict[str, str] = {}
            for chunk in self.headers.get("cookie", "").split(";"):
                name, sep, value = chunk.partition("=")
                name = name.strip()
                if sep and name:
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] == '"':
                        value = value[1:-1]
                    cookies[name] = value
            self._cookies = cookies
        return self._cookies

    @property
    def state(self) -> State:
        """Values shared by filters and the action for this request."""
        if self._state is None:
            self._state = State()
        return self._state

    # -- the body ---------------------------------------------------------------------
    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives; 413 past ``max_body_size``."""
        if self._body is not None:
            yield self._body
            return
        declared = self.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise HTTPError(400, "Invalid Content-Length header")
            if int(declared) > self.max_body_size:
                raise HTTPError(413, f"Request body is larger than {self.max_body_size} bytes")
        received = 0
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "http.disconnect":
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body_size:
                raise HTTPError(413, f"Request body is larger than {self.max_body_size} bytes")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def body(self) -> bytes:
        """Read and return the whole body (read once, then cached)."""
        if self._body is None:
            self._body = b"".join([chunk async for chunk in self.stream()])
        return self._body

    async def json(self) -> Any:
        """Parse the body as JSON; 400 with a reason when it is not valid JSON."""
        if self._json is _EMPTY_FORM:
            body = await self.body()
            if not body:
                raise HTTPError(400, "Request body is empty; JSON expected")
            try:
                self._json = _json.loads(body)
            except RecursionError:
                raise HTTPError(400, "Malformed JSON: nested too deeply") from None
            except ValueError as exc:
                raise HTTPError(400, f"Malformed JSON: {exc}") from None
        return self._json

    async def form(self) -> FormData:
        """Parse an urlencoded or multipart body; other content types give an empty form."""
        if self._form is None:
            limits = self.form_limits or FormLimits()
            kind = self.content_type
            if kind == "application/x-www-form-urlencoded":
                self._form = parse_urlencoded(await self.body(), limits)
            elif kind == "multipart/form-data":
                if self._body is not None:
                    raise HTTPError(400, "The body was already read; the form cannot be parsed")
                self._form = await parse_multipart(
                    self.headers.get("content-type", ""), self.stream(), limits
                )
            else:
                self._form = _EMPTY_FORM
        return self._form

    @property
    def form_loaded(self) -> FormData | None:
        """The parsed form when it was already read, else ``None``."""
        return self._form

    def _run(self, coro: Any) -> Any:
        loop = self.loop
        if loop is None:
            raise RuntimeError("read_* methods need the request to run on an mvcpy worker thread")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coro.close()
            raise RuntimeError("read_* methods block; in async code use 'await request.body()'")
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def read_body(self) -> bytes:
        """Return the whole body from sync code (a worker thread)."""
        if self._body is not None:
            return self._body
        return self._run(self.body())  # type: ignore[no-any-return]

    def read_json(self) -> Any:
        """Return the JSON body from sync code (a worker thread)."""
        if self._json is not _EMPTY_FORM:
            return self._json
        return self._run(self.json())

    def read_form(self) -> FormData:
        """Return the parsed form from sync code (a worker thread)."""
        if self._form is not None:
            return self._form
        return self._run(self.form())  # type: ignore[no-any-return]

    def close(self) -> None:
        """Release what the request holds (uploaded files' temporary storage)."""
        form = self._form
        if form:
            for _, value in form.multi_items():
                close = getattr(value, "close", None)
                if close is not None:
                    close()

    def add_cleanup(self, generator: Any) -> None:
        """Finish ``generator`` (sync or async) when the request ends, after the response."""
        if self._cleanups is None:
            self._cleanups = []
        self._cleanups.append(generator)

    async def aclose(self) -> None:
        """Release what the request holds and finish its cleanups, last added first."""
        self.close()
        cleanups = self._cleanups
        if cleanups is None:
            return
        self._cleanups = None
        for generator in reversed(cleanups):
            try:
                if hasattr(generator, "__anext__"):
                    await generator.__anext__()
                else:
                    next(generator)
            except (StopIteration, StopAsyncIteration):
                continue
            except Exception:
                logging.getLogger("mvcpy").exception("A dependency's teardown failed")
                continue
            logging.getLogger("mvcpy").error("A dependency generator yielded more than once")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"
