"""Reverse routing: build a URL path from a route's pattern and parameter values."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from mvcpy.errors import ConfigurationError
from mvcpy.routing.converters import CompoundConverter, Converter, make_converter
from mvcpy.routing.tree import Segment

__all__ = ["HostPattern", "PathBuilder", "URLBuildError"]

_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"


class URLBuildError(LookupError):
    """A URL could not be built: unknown route name, or a missing or ill-typed parameter."""


class PathBuilder:
    """Build paths for one route; static text is encoded once, at registration.

    A segment holding several parameters (``{name}.{ext}``) contributes its text and each
    parameter in turn; an optional trailing parameter left out ends the path there.
    """

    __slots__ = ("label", "names", "optional", "parts")

    def __init__(self, segments: tuple[Segment, ...], label: str) -> None:
        self.label = label
        parts: list[str | tuple[str, Converter]] = []
        optional: set[str] = set()
        static = ""
        for segment in segments:
            static += "/"
            converter = segment.converter
            if converter is None:
                static += quote(segment.static or "", safe=_SEGMENT_SAFE)
                continue
            if isinstance(converter, CompoundConverter):
                for piece in converter.pieces:
                    if isinstance(piece, str):
                        static += quote(piece, safe=_SEGMENT_SAFE)
                    else:
                        parts.append(static)
                        static = ""
                        parts.append(piece)
                continue
            assert segment.name is not None
            parts.append(static)
            static = ""
            parts.append((segment.name, converter))
            if segment.optional:
                optional.add(segment.name)
        if static:
            parts.append(static)
        self.parts = tuple(parts)
        self.names = frozenset(name for s in segments for name in s.names)
        self.optional = frozenset(optional)

    def build(self, params: dict[str, Any]) -> str:
        """Return the encoded path; raise :class:`URLBuildError` naming what is wrong."""
        pieces: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            name, converter = part
            try:
                value = params[name]
            except KeyError:
                if name in self.optional:  # the optional parameters that follow are left out
                    pieces[-1] = pieces[-1][:-1]  # the "/" before it
                    break
                missing = sorted(n for n in self.names - self.optional if n not in params)
                raise URLBuildError(
                    f"cannot build URL for {self.label}: missing parameter(s) {', '.join(missing)}"
                ) from None
            try:
                pieces.append(converter.to_url(value))
            except (TypeError, ValueError) as exc:
                raise URLBuildError(
                    f"cannot build URL for {self.label}: parameter {name!r}={value!r} "
                    f"does not fit {converter.describe()}: {exc}"
                ) from None
        return "".join(pieces)


_HOST_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]+))?\}")


class HostPattern:
    """A host to route on: ``api.example.com`` or ``{tenant}.example.com``."""

    __slots__ = ("converters", "names", "pattern", "regex", "static")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern.lower()
        self.names: list[str] = []
        self.converters: dict[str, Converter] = {}
        regex = ""
        position = 0
        for found in _HOST_PARAM.finditer(self.pattern):
            regex += re.escape(self.pattern[position : found.start()])
            name, spec = found.group(1), found.group(2)
            if name in self.converters:
                raise ConfigurationError(f"host {pattern!r}: parameter {name!r} appears twice")
            self.names.append(name)
            self.converters[name] = make_converter(spec)
            regex += f"(?P<{name}>[^.:]+)"
            position = found.end()
        regex += re.escape(self.pattern[position:])
        if "{" in regex or "}" in regex:
            raise ConfigurationError(f"host {pattern!r}: unbalanced braces")
        self.static = not self.names
        self.regex = re.compile(regex)

    def match(self, host: str) -> dict[str, Any] | None:
        """Return the host's parameters when ``host`` (lower case, no port) fits, else ``None``."""
        found = self.regex.fullmatch(host)
        if found is None:
            return None
        params: dict[str, Any] = {}
        for name, raw in found.groupdict().items():
            try:
                params[name] = self.converters[name].to_python(raw)
            except ValueError:
                return None
        return params

    def build(self, params: dict[str, Any], label: str) -> str:
        """Return the host with ``params`` filled in."""
        host = self.pattern
        for name in self.names:
            if name not in params:
                raise URLBuildError(
                    f"cannot build URL for {label}: missing host parameter {name!r}"
                )
            host = host.replace(
                _placeholder(self.pattern, name), self.converters[name].to_url(params[name])
            )
        return host


def _placeholder(pattern: str, name: str) -> str:
    found = re.search(r"\{" + re.escape(name) + r"(?::[^{}]+)?\}", pattern)
    assert found is not None
    return found.group(0)
