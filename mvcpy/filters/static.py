"""Static files: URL prefixes mapped to directories, served safely with caching and ranges."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import stat
from collections.abc import Mapping
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.filters._answer import answer_error
from mvcpy.filters._encoding import accepted_encodings
from mvcpy.http.response import RedirectResponse, Response
from mvcpy.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext

__all__ = ["FileResponse", "Static"]

#: Names like ``app.3f9a1c2b.js`` or ``site-7d1e0c55aa.css``: content-addressed, cached forever.
FINGERPRINT = re.compile(r"[.-][0-9a-fA-F]{8,}\.[A-Za-z0-9]+$")
_PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
_CHUNK = 64 * 1024


class FileResponse(Response):
    """Send (part of) a file from disk in chunks read on a worker thread."""

    __slots__ = ("bytes_sent", "length", "offset", "path")

    def __init__(
        self,
        path: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        offset: int = 0,
        length: int = 0,
    ) -> None:
        super().__init__(b"", status)
        self.raw_headers = headers
        self.path = path
        self.offset = offset
        self.length = length
        self.bytes_sent = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self.raw_headers.copy()
        headers.append((b"content-length", b"%d" % self.length))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        if scope["method"] == "HEAD" or self.length == 0:
            await send({"type": "http.response.body", "body": b""})
            return
        loop = asyncio.get_running_loop()
        handle = await loop.run_in_executor(None, open, self.path, "rb")
        try:
            await loop.run_in_executor(None, handle.seek, self.offset)
            remaining = self.length
            while remaining > 0:
                chunk = await loop.run_in_executor(None, handle.read, min(_CHUNK, remaining))
                if not chunk:  # the file shrank under us: stop rather than hang
                    break
                remaining -= len(chunk)
                self.bytes_sent += len(chunk)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
            if remaining > 0:
                await send({"type": "http.response.body", "body": b""})
        finally:
            await loop.run_in_executor(None, handle.close)


class _Found:
    __slots__ = ("encoding", "mtime", "path", "redirect", "size", "variants")

    def __init__(self) -> None:
        self.path = ""
        self.size = 0
        self.mtime = 0.0
        self.encoding: str | None = None
        self.redirect = False
        self.variants = False


class Static:
    """Serve files under URL prefixes from directories (Beego's ``StaticDir``).

    ``Static({"/static": "static", "/media": "/srv/uploads"})``; relative directories
    are resolved against the project root at startup. Directory requests serve
    ``index`` files; ``ETag``/``Last-Modified`` give ``304``s; a single ``Range`` gives
    ``206``; fingerprinted names (``app.3f9a1c2b.js``) are cached for a year; ``.br``
    and ``.gz`` siblings are sent to clients that accept them. Anything that would
    leave the directory (``..``, ``%2e%2e``, backslashes, NUL, symlinks pointing out)
    and hidden files are answered ``404``.
    """

    __slots__ = ("_mounts", "allow_hidden", "directories", "index", "max_age", "precompressed")

    def __init__(
        self,
        directories: Mapping[str, str | os.PathLike[str]] | None = None,
        *,
        index: str | None = "index.html",
        max_age: int = 0,
        precompressed: bool = True,
        allow_hidden: bool = False,
    ) -> None:
        self.directories = dict(directories) if directories else {"/static": "static"}
        for prefix in self.directories:
            if not prefix.startswith("/") or (prefix != "/" and prefix.endswith("/")):
                raise ConfigurationError(
                    f"static prefix {prefix!r} must start with '/' and not end with one"
                )
        self.index = index
        self.max_age = max_age
        self.precompressed = precompressed
        self.allow_hidden = allow_hidden
        # Longest prefix first, so that /static/img can be mapped apart from /static.
        self._mounts: tuple[tuple[str, str], ...] = tuple(
            sorted(
                ((p.rstrip("/"), os.path.realpath(d)) for p, d in self.directories.items()),
                key=lambda m: -len(m[0]),
            )
        )

    @classmethod
    def from_config(cls, app: Application, options: dict[str, Any]) -> Static:
        """Build from ``[filters.static]``: ``dirs = {"/static" = "static"}`` and options."""
        return cls(options.pop("dirs", None), **options)

    def bind(self, app: Application) -> None:
        """Resolve relative directories against the project root and check they exist."""
        mounts = []
        for prefix, directory in self.directories.items():
            path = Path(directory)
            if not path.is_absolute():
                path = app.root_path / path
            if not path.is_dir():
                raise ConfigurationError(f"static directory {str(path)!r} does not exist")
            mounts.append((prefix.rstrip("/"), os.path.realpath(path)))
        self._mounts = tuple(sorted(mounts, key=lambda m: -len(m[0])))

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Serve the file when the path is under a static prefix, else pass on."""
        path: str = ctx.scope["path"]
        for prefix, root in self._mounts:
            if path.startswith(prefix) and (
                len(path) == len(prefix) or path[len(prefix)] == "/" or prefix == ""
            ):
                method = ctx.request.method
                try:
                    if method != "GET" and method != "HEAD":
                        raise HTTPError(405, "Static files are read-only", {"allow": "GET, HEAD"})
                    return await self._serve(ctx, root, path[len(prefix) :])
                except HTTPError as error:
                    return await answer_error(ctx, error)
        response: Response = await call_next(ctx)
        return response

    async def _serve(self, ctx: Context, root: str, relative: str) -> Response:
        headers = ctx.request.headers
        accepted: frozenset[str] = frozenset()
        if self.precompressed and "range" not in headers:  # ranges are over the plain file
            accepted = accepted_encodings(headers.get("accept-encoding"))
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, self._find, root, relative, accepted)
        if found is None:
            raise HTTPError(404, "Not Found")
        if found.redirect:
            query = ctx.request.query_string
            return RedirectResponse(ctx.scope["path"] + "/" + ("?" + query if query else ""), 301)
        return self._respond(ctx, found)

    def _find(self, root: str, relative: str, accepted: frozenset[str]) -> _Found | None:
        """Resolve ``relative`` inside ``root`` (on a worker thread); ``None`` when refused."""
        if "\\" in relative or "\x00" in relative:
            return None
        parts = [part for part in relative.split("/") if part]
        for part in parts:
            if part in (".", "..") or (part.startswith(".") and not self.allow_hidden):
                return None
        candidate = os.path.realpath(os.path.join(root, *parts))
        if candidate != root and not candidate.startswith(root + os.sep):
            return None  # a symlink that points out of the directory
        try:
            info = os.stat(candidate)
        except (OSError, ValueError):
            return None
        found = _Found()
        if stat.S_ISDIR(info.st_mode):
            if self.index is None:
                return None
            if not relative.endswith("/"):
                found.redirect = True
                return found
            candidate = os.path.join(candidate, self.index)
            try:
                info = os.stat(candidate)
            except OSError:
                return None
        elif relative.endswith("/"):  # a file asked for as a directory
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        found.path = candidate
        found.size = info.st_size
        found.mtime = info.st_mtime
        for coding, suffix in _PRECOMPRESSED:
            try:
                sibling = os.stat(candidate + suffix)
            except OSError:
                continue
            if not stat.S_ISREG(sibling.st_mode):
                continue
            found.variants = True
            if coding in accepted and found.encoding is None:
                found.encoding = coding
                found.path = candidate + suffix
                found.size = sibling.st_size
                found.mtime = sibling.st_mtime
        return found

    def _respond(self, ctx: Context, found: _Found) -> Response:
        request_headers = ctx.request.headers
        original = found.path[: -len(".br")] if found.encoding == "br" else found.path
        if found.encoding == "gzip":
            original = found.path[: -len(".gz")]
        media_type, _ = mimetypes.guess_type(original)
        media_type = media_type or "application/octet-stream"
        if media_type.startswith("text/") or media_type in ("application/javascript",):
            media_type += "; charset=utf-8"
        variant = "-" + found.encoding if found.encoding else ""
        etag = f'"{int(found.mtime * 1000):x}-{found.size:x}{variant}"'
        last_modified = formatdate(found.mtime, usegmt=True)
        if FINGERPRINT.search(os.path.basename(original)):
            cache_control = "public, max-age=31536000, immutable"
        elif self.max_age > 0:
            cache_control = f"public, max-age={self.max_age}"
        else:
            cache_control = "no-cache"
        headers: list[tuple[bytes, bytes]] = [
            (b"etag", etag.encode()),
            (b"last-modified", last_modified.encode()),
            (b"cache-control", cache_control.encode()),
        ]
        if found.variants:
            headers.append((b"vary", b"Accept-Encoding"))
        if _not_modified(request_headers, etag, found.mtime):
            return Response(b"", 304, [(k.decode(), v.decode()) for k, v in headers])
        headers.append((b"content-type", media_type.encode()))
        if found.encoding is not None:
            headers.append((b"content-encoding", found.encoding.encode()))
            return FileResponse(found.path, 200, headers, 0, found.size)
        headers.append((b"accept-ranges", b"bytes"))
        range_header = request_headers.get("range")
        if range_header is not None and _if_range_holds(request_headers.get("if-range"), etag):
            span = _parse_range(range_header, found.size)
            if span is not None:
                start, end = span
                headers.append((b"content-range", f"bytes {start}-{end}/{found.size}".encode()))
                return FileResponse(found.path, 206, headers, start, end - start + 1)
        return FileResponse(found.path, 200, headers, 0, found.size)

    def __repr__(self) -> str:
        return f"Static({self.directories!r})"


def _not_modified(headers: Any, etag: str, mtime: float) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def _if_range_holds(if_range: str | None, etag: str) -> bool:
    return if_range is None or if_range.strip() == etag


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Return ``(start, end)`` for one satisfiable range, ``None`` to send it all; 416 if none."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # other units and multipart ranges: send the whole file (RFC 9110 §14.2)
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "" or int(last) == 0:
            raise _unsatisfiable(size)
        start = max(size - int(last), 0)
        end = size - 1
    else:
        start = int(first)
        if last and int(last) < start:
            return None  # an invalid range is ignored, not refused
        if start >= size:
            raise _unsatisfiable(size)
        end = min(int(last), size - 1) if last else size - 1
    if size == 0:
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> HTTPError:
    return HTTPError(416, "Range Not Satisfiable", {"content-range": f"bytes */{size}"})
