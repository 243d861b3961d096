"""Form bodies: urlencoded and multipart (streamed through python-multipart)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from mvcpy.errors import ClientDisconnected, HTTPError
from mvcpy.http.datastructures import MultiDict
from mvcpy.http.uploads import UploadedFile

__all__ = ["FormData", "FormLimits", "parse_multipart", "parse_urlencoded"]

FormData = MultiDict[str | UploadedFile]


class FormLimits:
    """Bounds that keep a hostile form from filling memory or disk."""

    __slots__ = ("max_field_size", "max_fields", "max_file_size", "max_parts")

    def __init__(
        self,
        max_fields: int = 1000,
        max_parts: int = 1000,
        max_field_size: int = 1024 * 1024,
        max_file_size: int = 100 * 1024 * 1024,
    ) -> None:
        self.max_fields = max_fields
        self.max_parts = max_parts
        self.max_field_size = max_field_size
        self.max_file_size = max_file_size


def parse_urlencoded(body: bytes, limits: FormLimits) -> FormData:
    """Parse an ``application/x-www-form-urlencoded`` body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPError(400, "Form body is not valid UTF-8") from None
    try:
        pairs = parse_qsl(
            text, keep_blank_values=True, max_num_fields=limits.max_fields, errors="strict"
        )
    except UnicodeDecodeError:
        raise HTTPError(400, "Form body is not valid UTF-8 once decoded") from None
    except ValueError:
        raise HTTPError(400, f"Form has more than {limits.max_fields} fields") from None
    return MultiDict(pairs)


class _MultipartCollector:
    """Callbacks for python-multipart that build fields and spooled files."""

    def __init__(self, limits: FormLimits) -> None:
        self.limits = limits
        self.items: list[tuple[str, str | UploadedFile]] = []
        self.parts = 0
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._file: UploadedFile | None = None
        self._value = bytearray()

    def close_files(self) -> None:
        """Release every file received so far, including one cut off mid-way."""
        for _, value in self.items:
            if isinstance(value, UploadedFile):
                value.close()
        if self._file is not None:
            self._file.close()

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise HTTPError(400, f"Form has more than {self.limits.max_parts} parts")
        self._headers = {}
        self._file = None
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise HTTPError(400, "Multipart part without a form-data name")
        self._name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            content_type = self._headers.get(b"content-type", b"application/octet-stream")
            self._file = UploadedFile(
                options[b"filename"].decode("utf-8", "replace"), content_type.decode("latin-1")
            )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        file = self._file
        if file is not None:
            if file.size + len(chunk) > self.limits.max_file_size:
                raise HTTPError(413, f"File is larger than {self.limits.max_file_size} bytes")
            file.write(chunk)
        else:
            if len(self._value) + len(chunk) > self.limits.max_field_size:
                raise HTTPError(
                    413, f"Form field is larger than {self.limits.max_field_size} bytes"
                )
            self._value += chunk

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self.items.append((self._name, self._file))
        else:
            try:
                self.items.append((self._name, self._value.decode("utf-8")))
            except UnicodeDecodeError:
                raise HTTPError(400, f"Form field {self._name!r} is not valid UTF-8") from None


async def parse_multipart(
    content_type: str, chunks: AsyncIterator[bytes], limits: FormLimits
) -> FormData:
    """Parse a ``multipart/form-data`` body as it streams in."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise HTTPError(400, "Multipart body without a boundary")
    if len(boundary) > 70:  # RFC 2046 §5.1.1; the parser itself refuses past 256 (a 500)
        raise HTTPError(400, "Multipart boundary longer than 70 characters")
    collector = _MultipartCollector(limits)
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
        if parser.state != MultipartState.END:
            raise HTTPError(400, "Multipart body ended before its closing boundary")
    except (HTTPError, ClientDisconnected):
        collector.close_files()
        raise
    except Exception as exc:  # python-multipart raises its own errors for malformed bodies
        collector.close_files()
        raise HTTPError(400, f"Malformed multipart body: {exc}") from None
    return MultiDict(collector.items)
