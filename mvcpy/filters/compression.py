"""Response compression: gzip (stdlib), and brotli when the ``brotli`` package is installed."""

from __future__ import annotations

import importlib
import importlib.util
import zlib
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from mvcpy.errors import ConfigurationError
from mvcpy.filters._encoding import accepted_encodings
from mvcpy.http.response import Response, StreamingResponse, iterate

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext

__all__ = ["Compression", "brotli_available"]

_PLAIN_CALL = Response.__call__

COMPRESSIBLE = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/ld+json",
    "application/problem+json",
    "application/manifest+json",
    "image/svg+xml",
)


def brotli_available() -> bool:
    """Tell whether the optional ``brotli`` package is installed (``mvcpy-web[brotli]``)."""
    return importlib.util.find_spec("brotli") is not None


class _Coder:
    """One response's compressor: ``compress`` chunks, then ``flush`` at the end."""

    __slots__ = ("_obj", "name")

    def __init__(self, name: str, level: int) -> None:
        self.name = name
        if name == "br":
            brotli = importlib.import_module("brotli")
            self._obj: Any = brotli.Compressor(quality=level)
        else:  # gzip framing from zlib: wbits 16 + 15
            self._obj = zlib.compressobj(level, zlib.DEFLATED, 31)

    def compress(self, data: bytes) -> bytes:
        if self.name == "br":
            return self._obj.process(data) + self._obj.flush()  # type: ignore[no-any-return]
        return self._obj.compress(data) + self._obj.flush(zlib.Z_SYNC_FLUSH)  # type: ignore[no-any-return]

    def finish(self, data: bytes = b"") -> bytes:
        if self.name == "br":
            return self._obj.process(data) + self._obj.finish()  # type: ignore[no-any-return]
        return self._obj.compress(data) + self._obj.flush()  # type: ignore[no-any-return]


class Compression:
    """Compress responses the client accepts, when worth it.

    Compressed: bodies of a compressible type (text, JSON, JS, XML, SVG) of at least
    ``minimum_size`` bytes, and streaming responses of those types (chunk by chunk,
    flushed as they go). Never: responses that already have a ``Content-Encoding``,
    ``206``/``204``/``304`` answers, ``Cache-Control: no-transform``. ``Vary:
    Accept-Encoding`` is added to every compressible response. Brotli is preferred
    when the client accepts it and the ``brotli`` package is installed.
    """

    __slots__ = ("_encodings", "brotli", "brotli_level", "gzip_level", "minimum_size", "types")

    def __init__(
        self,
        minimum_size: int = 500,
        *,
        gzip_level: int = 6,
        brotli: bool | None = None,
        brotli_level: int = 4,
        types: Iterable[str] = COMPRESSIBLE,
    ) -> None:
        installed = brotli_available()
        if brotli and not installed:
            raise ConfigurationError(
                "brotli compression needs the brotli package: pip install 'mvcpy-web[brotli]'"
            )
        self.brotli = installed if brotli is None else brotli
        self.minimum_size = minimum_size
        self.gzip_level = gzip_level
        self.brotli_level = brotli_level
        self.types = tuple(types)
        self._encodings = ("br", "gzip") if self.brotli else ("gzip",)

    def _choose(self, accept_encoding: str | None) -> str | None:
        accepted = accepted_encodings(accept_encoding)
        for name in self._encodings:
            if name in accepted:
                return name
        return None

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Run the chain and compress the response when the client and the type allow."""
        response: Response = await call_next(ctx)
        status = response.status
        if status < 200 or status in (204, 206, 304):
            return response
        media_type = (response.get_header("content-type") or "").lower()
        if not media_type.startswith(self.types):
            return response
        if response.get_header("content-encoding") is not None:
            return response
        if "no-transform" in (response.get_header("cache-control") or ""):
            return response
        response.add_header("vary", "Accept-Encoding")
        coding = self._choose(ctx.request.headers.get("accept-encoding"))
        if coding is None:
            return response
        level = self.brotli_level if coding == "br" else self.gzip_level
        if isinstance(response, StreamingResponse):
            response.content = _compress_stream(response.content, _Coder(coding, level))
            response.raw_headers = [
                (k, v) for k, v in response.raw_headers if k != b"content-length"
            ]
        elif type(response).__call__ is not _PLAIN_CALL:
            return response  # a file or custom response sends its own bytes: leave it
        else:
            body = response.body
            if len(body) < self.minimum_size:
                return response
            response.body = _Coder(coding, level).finish(body)
            response.raw_headers = [
                (k, v) for k, v in response.raw_headers if k != b"content-length"
            ]
        response.add_header("content-encoding", coding)
        etag = response.get_header("etag")
        if etag is not None and not etag.startswith("W/"):  # the bytes differ now
            response.set_header("etag", "W/" + etag)
        return response

    def __repr__(self) -> str:
        return f"Compression(minimum_size={self.minimum_size}, encodings={self._encodings!r})"


async def _compress_stream(content: Any, coder: _Coder) -> AsyncIterator[bytes]:
    async for chunk in iterate(content):
        data = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
        if data:
            yield coder.compress(data)
    yield coder.finish()
