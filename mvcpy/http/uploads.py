"""Uploaded files: spooled to disk past a threshold, saved only inside a given directory."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import IO

__all__ = ["UploadedFile", "sanitize_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sanitize_filename(name: str) -> str:
    """Reduce a client-supplied file name to a safe base name (no directories, no dots first)."""
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip("._")
    return name[:200] or "upload"


class UploadedFile:
    """A file sent in a multipart form."""

    __slots__ = ("content_type", "file", "filename", "raw_filename", "size")

    def __init__(
        self,
        raw_filename: str,
        content_type: str,
        file: IO[bytes] | None = None,
        spool_size: int = 1024 * 1024,
    ) -> None:
        self.raw_filename = raw_filename
        self.filename = sanitize_filename(raw_filename)
        self.content_type = content_type
        self.file: IO[bytes] = (
            file
            if file is not None
            # Closed by close(), which the app calls when the request ends.
            else tempfile.SpooledTemporaryFile(max_size=spool_size)  # noqa: SIM115
        )
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data`` while the upload is being received."""
        self.file.write(data)
        self.size += len(data)

    def read(self, size: int = -1) -> bytes:
        """Read the file's content (from the start on the first call)."""
        if self.file.tell() == self.size and size < 0:
            self.file.seek(0)
        return self.file.read(size)

    def seek(self, offset: int) -> None:
        """Move the read position to ``offset``."""
        self.file.seek(offset)

    def save(self, directory: str | os.PathLike[str], filename: str | None = None) -> Path:
        """Write the file into ``directory`` under its sanitised name; never outside it."""
        root = Path(directory).resolve()
        target = (root / sanitize_filename(filename or self.filename)).resolve()
        if target.parent != root:
            raise ValueError(f"refusing to write {target} outside {root}")
        root.mkdir(parents=True, exist_ok=True)
        self.file.seek(0)
        with open(target, "wb") as out:
            shutil.copyfileobj(self.file, out)
        return target

    def close(self) -> None:
        """Release the temporary file."""
        self.file.close()

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, size={self.size})"
