"""File downloads: validators (ETag, Last-Modified), 304, single byte ranges, chunked reads."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import stat
from collections.abc import AsyncIterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from mvcpy.errors import HTTPError
from mvcpy.http.datastructures import Headers
from mvcpy.http.response import Response, StreamingResponse
from mvcpy.types import Receive, Scope, Send

__all__ = ["FileResponse", "content_disposition", "parse_range"]

CHUNK_SIZE = 64 * 1024


def content_disposition(filename: str, attachment: bool) -> str:
    """Build ``Content-Disposition`` with an ASCII fallback and RFC 5987 ``filename*``."""
    kind = "attachment" if attachment else "inline"
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
    fallback = fallback.replace("\\", "_").replace('"', "_").replace("\r", "").replace("\n", "")
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Return the ``(start, end)`` (inclusive) of a single ``bytes=`` range.

    ``None`` means "ignore the header and send everything" (not a byte range);
    :class:`HTTPError` 416 means the range cannot be satisfied or there are several.
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    if "," in spec:
        raise HTTPError(416, "Only a single byte range is supported")
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or last.isdigit()):
        raise HTTPError(416, f"Invalid byte range {spec.strip()!r}")
    if (first and not first.isdigit()) or (last and not last.isdigit()):
        raise HTTPError(416, f"Invalid byte range {spec.strip()!r}")
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise HTTPError(416, "Empty byte range")
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise HTTPError(416, f"Byte range {spec.strip()!r} is outside the file ({size} bytes)")
    return start, min(end, size - 1)


class FileResponse(Response):
    """Send a file from disk in chunks, answering conditional and range requests.

    The file is checked when the response is made (404 when it is missing); the
    request's ``If-None-Match``, ``If-Modified-Since``, ``Range`` and ``If-Range``
    are answered when it is sent.
    """

    __slots__ = ("chunk_size", "etag", "last_modified", "path", "size")

    def __init__(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        attachment: bool = False,
        media_type: str | None = None,
        status: int = 200,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.path = Path(path)
        try:
            info = self.path.stat()
        except (OSError, ValueError):
            raise HTTPError(404, "File not found") from None
        if not stat.S_ISREG(info.st_mode):
            raise HTTPError(404, "File not found")
        name = filename or self.path.name
        if media_type is None:
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        super().__init__(b"", status, None, media_type)
        self.size = info.st_size
        self.chunk_size = chunk_size
        self.etag = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
        self.last_modified = formatdate(info.st_mtime, usegmt=True)
        self.set_header("etag", self.etag)
        self.set_header("last-modified", self.last_modified)
        self.set_header("accept-ranges", "bytes")
        if filename is not None or attachment:
            self.set_header("content-disposition", content_disposition(name, attachment))

    def _not_modified(self, headers: Headers) -> bool:
        match = headers.get("if-none-match")
        if match is not None:
            tags = [t.strip().removeprefix("W/") for t in match.split(",")]
            return "*" in tags or self.etag in tags
        since = headers.get("if-modified-since")
        if since is not None:
            try:
                return int(parsedate_to_datetime(since).timestamp()) >= int(
                    parsedate_to_datetime(self.last_modified).timestamp()
                )
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
        return False

    def _range(self, headers: Headers) -> tuple[int, int] | None:
        header = headers.get("range")
        if header is None or self.status != 200:
            return None
        if_range = headers.get("if-range")
        if if_range is not None and if_range.strip() not in (self.etag, self.last_modified):
            return None  # the client's copy is stale: send the whole file
        return parse_range(header, self.size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope["headers"])
        base = [(k, v) for k, v in self.raw_headers]
        if scope["method"] in ("GET", "HEAD") and self._not_modified(headers):
            keep = {b"etag", b"last-modified", b"cache-control", b"expires", b"vary"}
            not_modified = Response(b"", 304)
            not_modified.raw_headers = [(k, v) for k, v in base if k in keep]
            await not_modified(scope, receive, send)
            return
        try:
            span = self._range(headers)
        except HTTPError as exc:
            refused = Response(exc.message.encode(), 416, media_type="text/plain")
            refused.add_header("content-range", f"bytes */{self.size}")
            await refused(scope, receive, send)
            return
        status = self.status
        start, end = 0, self.size - 1
        if span is not None:
            start, end = span
            status = 206
            base.append((b"content-range", f"bytes {start}-{end}/{self.size}".encode()))
        length = end - start + 1 if self.size else 0
        base.append((b"content-length", b"%d" % length))
        stream = StreamingResponse(self._chunks(start, length), status)
        stream.raw_headers = base
        await stream(scope, receive, send)

    async def _chunks(self, start: int, length: int) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        file = await loop.run_in_executor(None, open, self.path, "rb")
        try:
            if start:
                await loop.run_in_executor(None, file.seek, start)
            remaining = length
            while remaining > 0:
                chunk = await loop.run_in_executor(None, file.read, min(self.chunk_size, remaining))
                if not chunk:  # the file shrank while being sent
                    return
                remaining -= len(chunk)
                yield chunk
        finally:
            await loop.run_in_executor(None, file.close)
