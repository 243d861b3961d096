"""Beego's template functions as Jinja filters: ``dateformat``, ``substr``, ``html2str``, ..."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup

__all__ = [
    "BEEGO_FILTERS",
    "dateformat",
    "go_layout_to_strftime",
    "html2str",
    "map_get",
    "str2html",
    "substr",
]

#: Go's reference-time tokens (``Mon Jan 2 15:04:05 MST 2006``), longest first.
_GO_TOKENS = {
    "January": "%B",
    "Monday": "%A",
    "2006": "%Y",
    "-07:00": "%:z",
    "-0700": "%z",
    ".000000": ".%f",
    ".000": "",  # milliseconds: handled below
    "Jan": "%b",
    "Mon": "%a",
    "MST": "%Z",
    "15": "%H",
    "06": "%y",
    "01": "%m",
    "02": "%d",
    "03": "%I",
    "04": "%M",
    "05": "%S",
    "PM": "%p",
}
_GO_TOKEN = re.compile("|".join(re.escape(t) for t in _GO_TOKENS))
_MILLIS = "\x00ms\x00"
_WHITESPACE = re.compile(r"\s+")


def go_layout_to_strftime(layout: str) -> str:
    """Translate a Go time layout (``2006-01-02 15:04:05``) into a ``strftime`` format."""

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        return _MILLIS if text == ".000" else _GO_TOKENS[text]

    return _GO_TOKEN.sub(token, layout.replace("%", "%%"))


def dateformat(value: date | datetime | time | None, layout: str = "2006-01-02 15:04:05") -> str:
    """Format a date with a Go layout (Beego's ``dateformat``) or a ``strftime`` format."""
    if value is None:
        return ""
    fmt = layout if "%" in layout else go_layout_to_strftime(layout)
    text = value.strftime(fmt.replace(_MILLIS, "\x01"))
    if "\x01" in text:
        millis = f".{value.microsecond // 1000:03d}" if isinstance(value, datetime) else ".000"
        text = text.replace("\x01", millis)
    return text


def substr(value: Any, start: int, length: int) -> str:
    """Return ``length`` characters from ``start`` (Beego's ``substr``), clamped to the string."""
    text = str(value)
    start = max(0, min(start, len(text)))
    end = len(text) if length < 0 else min(len(text), start + length)
    return text[start:end]


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html2str(value: Any) -> str:
    """Strip tags, scripts and styles from HTML and collapse whitespace (Beego's ``html2str``)."""
    parser = _TextExtractor()
    parser.feed(str(value))
    parser.close()
    return _WHITESPACE.sub(" ", html.unescape("".join(parser.parts))).strip()


def str2html(value: Any) -> Markup:
    """Mark a string as safe HTML, so autoescaping leaves it alone (Beego's ``str2html``)."""
    return Markup(str(value))


def map_get(mapping: Any, *keys: Any) -> Any:
    """Look up ``keys`` one after the other in nested mappings; ``None`` when one is missing."""
    node = mapping
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        if key not in node and isinstance(key, int | float) and str(key) in node:
            key = str(key)
        node = node.get(key)
        if node is None:
            return None
    return node


#: Filters every app's environment gets.
BEEGO_FILTERS: dict[str, Callable[..., Any]] = {
    "dateformat": dateformat,
    "substr": substr,
    "html2str": html2str,
    "str2html": str2html,
    "map_get": map_get,
}
