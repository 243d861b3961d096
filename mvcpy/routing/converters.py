"""Converters: turn one path segment into a Python value and a value back into a segment.

A route parameter such as ``{id:int}`` gets its converter from :func:`make_converter`.
Converters are immutable and shared: two parameters with the same spec get equal
converters (same :attr:`Converter.key`), so the route tree can share one node for both.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

from mvcpy.errors import ConfigurationError

__all__ = [
    "CompoundConverter",
    "Converter",
    "FloatConverter",
    "IntConverter",
    "Parts",
    "PathConverter",
    "RegexConverter",
    "SlugConverter",
    "StringConverter",
    "UUIDConverter",
    "is_converter_name",
    "make_converter",
]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

# RFC 3986 pchar minus the unreserved set (which ``quote`` never encodes): sub-delims, ":", "@".
_SEGMENT_SAFE = "!$&'()*+,;=:@"
_PATH_SAFE = _SEGMENT_SAFE + "/"

_FLOAT_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)
_SLUG_RE = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


class Converter(ABC):
    """Convert one path segment to a Python value and a value back to a segment."""

    __slots__ = ()

    name: ClassVar[str]
    weight: ClassVar[int]
    """Precedence among dynamic segments: 0 typed or regex, 1 plain str, 2 catch-all."""

    @abstractmethod
    def to_python(self, raw: str) -> Any:
        """Return the value of a percent-decoded segment; raise ValueError if it does not fit."""

    @abstractmethod
    def to_url(self, value: Any) -> str:
        """Return ``value`` as a percent-encoded segment; raise TypeError or ValueError if unfit."""

    @property
    def key(self) -> Hashable:
        """Return the identity under which route tree nodes are shared."""
        return (self.name,)

    @property
    @abstractmethod
    def sample(self) -> str:
        """Return a raw segment this converter accepts, for shadow detection."""

    def describe(self, param: str | None = None) -> str:
        """Return the pattern text for this converter, e.g. ``{id:int}``."""
        return f"{{{param or ''}:{self.name}}}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Converter) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def _segment_text(value: Any, *, allow_empty: bool) -> str:
    """Return ``value`` as text for a str-like converter, checking its type and shape."""
    if isinstance(value, str):
        text = value
    elif (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, uuid.UUID):
        text = str(value)
    else:
        raise TypeError(f"expected str, int or UUID for a path segment, got {type(value).__name__}")
    if not text and not allow_empty:
        raise ValueError("a path segment cannot be empty")
    return text


def _quote_segment(text: str) -> str:
    """Percent-encode one segment; refuse dot segments, which clients would collapse."""
    if text in (".", ".."):
        raise ValueError(f"{text!r} cannot be a path segment: clients collapse it")
    return quote(text, safe=_SEGMENT_SAFE)


class IntConverter(Converter):
    """Match a signed 64-bit decimal integer (ASCII digits, optional leading ``-``)."""

    __slots__ = ()
    name = "int"
    weight = 0

    def to_python(self, raw: str) -> int:
        """Return the integer in ``raw``; raise ValueError if it is not one or overflows."""
        # PERF: common case first: up to 18 ASCII digits always fit in 64 bits (154 ns
        # against 270 ns through the general checks below). isascii() + isdigit() also keep
        # out what int() would take but a URL should not ("1_000", " 7", "٣").
        if raw.isascii() and raw.isdigit() and len(raw) < 19:
            return int(raw)
        digits = raw[1:] if raw[:1] == "-" else raw
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"not an integer: {raw!r}")
        # NOTE: refuse long numbers before int() so a huge segment costs nothing.
        if len(digits) > 19 and len(digits.lstrip("0")) > 19:
            raise ValueError(f"integer out of 64-bit range: {raw!r}")
        value = int(raw)
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"integer out of 64-bit range: {raw!r}")
        return value

    def to_url(self, value: Any) -> str:
        """Return the decimal text of an int (not a bool) in 64-bit range."""
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"integer out of 64-bit range: {value}")
        return str(value)

    @property
    def sample(self) -> str:
        """Return ``"1"``."""
        return "1"


class FloatConverter(Converter):
    """Match a plain decimal number such as ``1.5`` or ``-2`` (no exponent, nan or inf)."""

    __slots__ = ()
    name = "float"
    weight = 0

    def to_python(self, raw: str) -> float:
        """Return the float in ``raw``; raise ValueError if it is not a finite decimal."""
        if _FLOAT_RE.fullmatch(raw) is None:
            raise ValueError(f"not a decimal number: {raw!r}")
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(f"number out of range: {raw!r}")
        return value

    def to_url(self, value: Any) -> str:
        """Return a finite int or float (not a bool) as plain decimal text."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"expected float or int, got {type(value).__name__}")
        if isinstance(value, int):
            return str(value)
        if not math.isfinite(value):
            raise ValueError(f"cannot put {value!r} in a URL")
        text = repr(value)
        if "e" in text:
            # repr() switches to exponent form for very large or small numbers; the
            # shortest round-trip digits written out in full still parse to the same float.
            text = format(Decimal(text), "f")
        return text

    @property
    def sample(self) -> str:
        """Return ``"1.5"``."""
        return "1.5"


class UUIDConverter(Converter):
    """Match a canonical 8-4-4-4-12 hexadecimal UUID and return a :class:`uuid.UUID`."""

    __slots__ = ()
    name = "uuid"
    weight = 0

    def to_python(self, raw: str) -> uuid.UUID:
        """Return the UUID in ``raw``; raise ValueError if it is not canonical hex."""
        if len(raw) != 36 or _UUID_RE.fullmatch(raw) is None:
            raise ValueError(f"not a UUID: {raw!r}")
        return uuid.UUID(raw)

    def to_url(self, value: Any) -> str:
        """Return a UUID, or a string holding a canonical UUID, in lower-case hex."""
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):
            return str(self.to_python(value))
        raise TypeError(f"expected UUID or str, got {type(value).__name__}")

    @property
    def sample(self) -> str:
        """Return the nil UUID."""
        return "00000000-0000-0000-0000-000000000000"


class SlugConverter(Converter):
    """Match ASCII letters, digits, ``_`` and ``-``."""

    __slots__ = ()
    name = "slug"
    weight = 0

    def to_python(self, raw: str) -> str:
        """Return ``raw`` if it is a slug; raise ValueError otherwise."""
        if _SLUG_RE.fullmatch(raw) is None:
            raise ValueError(f"not a slug: {raw!r}")
        return raw

    def to_url(self, value: Any) -> str:
        """Return a slug string unchanged; raise for any other value."""
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        return self.to_python(value)

    @property
    def sample(self) -> str:
        """Return ``"a-b_1"``."""
        return "a-b_1"


class StringConverter(Converter):
    """Match any non-empty segment (the default converter)."""

    __slots__ = ()
    name = "str"
    weight = 1

    def to_python(self, raw: str) -> str:
        """Return ``raw``; raise ValueError if it is empty."""
        if not raw:
            raise ValueError("empty segment")
        return raw

    def to_url(self, value: Any) -> str:
        """Return a str, int or UUID as one percent-encoded segment."""
        return _quote_segment(_segment_text(value, allow_empty=False))

    @property
    def sample(self) -> str:
        """Return a value that the typed converters refuse."""
        return "x~y"

    def describe(self, param: str | None = None) -> str:
        """Return ``{name}``: plain parameters carry no converter name."""
        return f"{{{param or ':str'}}}"


class PathConverter(Converter):
    """Match the rest of the path, slashes included (the catch-all)."""

    __slots__ = ()
    name = "path"
    weight = 2

    def to_python(self, raw: str) -> str:
        """Return ``raw``: the route tree has already joined the remaining segments."""
        return raw

    def to_url(self, value: Any) -> str:
        """Return a str, int or UUID percent-encoded part by part, keeping ``/``."""
        text = _segment_text(value, allow_empty=True)
        for part in text.split("/"):
            if part in (".", ".."):
                raise ValueError(f"{text!r} holds a dot segment, which clients collapse")
        return quote(text, safe=_PATH_SAFE)

    @property
    def sample(self) -> str:
        """Return ``"x~y"``."""
        return "x~y"


class RegexConverter(Converter):
    """Match one whole segment against a regular expression and return it as text."""

    __slots__ = ("_regex", "_sample")
    name = "regex"
    weight = 0

    def __init__(self, pattern: str) -> None:
        """Compile ``pattern``; raise ConfigurationError if it is not a valid regex."""
        try:
            self._regex = re.compile(pattern)
        except re.error as exc:
            raise ConfigurationError(f"invalid regular expression {pattern!r}: {exc}") from exc
        self._sample: str | None = None

    @property
    def pattern(self) -> str:
        """Return the regular expression source."""
        return self._regex.pattern

    @property
    def key(self) -> Hashable:
        """Return ``("regex", pattern)``."""
        return ("regex", self._regex.pattern)

    def to_python(self, raw: str) -> str:
        """Return ``raw`` if the whole segment matches; raise ValueError otherwise."""
        if self._regex.fullmatch(raw) is None:
            raise ValueError(f"{raw!r} does not match {self._regex.pattern!r}")
        return raw

    def to_url(self, value: Any) -> str:
        """Return ``str(value)`` percent-encoded if it matches; raise ValueError otherwise."""
        text = str(value)
        if self._regex.fullmatch(text) is None:
            raise ValueError(f"{text!r} does not match {self._regex.pattern!r}")
        return _quote_segment(text)

    @property
    def sample(self) -> str:
        """Return a short string the regex accepts, or ``""`` when none could be found."""
        if self._sample is None:
            self._sample = _regex_sample(self._regex)
        return self._sample

    def describe(self, param: str | None = None) -> str:
        """Return ``{name:REGEX}``."""
        return f"{{{param or ''}:{self._regex.pattern}}}"


class Parts(tuple[Any, ...]):
    """The values of one segment that holds several parameters, in order."""

    __slots__ = ()


#: what each named converter matches inside a segment that holds more than it
_PART_PATTERNS = {
    "int": r"-?[0-9]+",
    "float": _FLOAT_RE.pattern,
    "uuid": _UUID_RE.pattern,
    "slug": _SLUG_RE.pattern,
    "str": r"[\s\S]+",  # any character, a newline too (a decoded %0A)
}

#: one segment's pieces: literal text, or (parameter name, converter)
Piece = str | tuple[str, Converter]


class CompoundConverter(Converter):
    """A segment that mixes text and parameters: ``{name}.{ext}``, ``{id}:publish``,
    ``@{user}``, ``v{major:int}.{minor:int}``.

    The segment must match as a whole; each parameter takes what its converter accepts
    (a plain one is greedy, so ``{name}.{ext}`` gives ``archive.tar`` and ``gz``), then is
    converted. Two parameters need text between them.
    """

    __slots__ = ("_groups", "_regex", "pieces")
    name = "compound"
    weight = 0

    def __init__(self, pieces: tuple[Piece, ...]) -> None:
        self.pieces = pieces
        regex = ""
        groups: list[tuple[str, Converter]] = []
        previous_param = False
        for piece in pieces:
            if isinstance(piece, str):
                regex += re.escape(piece)
                previous_param = False
                continue
            _, converter = piece
            if previous_param:
                raise ConfigurationError("two parameters need text between them in one segment")
            if isinstance(converter, PathConverter):
                raise ConfigurationError("a catch-all cannot share a segment with text")
            inner = (
                converter.pattern
                if isinstance(converter, RegexConverter)
                else _PART_PATTERNS.get(converter.name, _PART_PATTERNS["str"])
            )
            group = f"mvcpy_{len(groups)}"
            regex += f"(?P<{group}>{inner})"
            groups.append((group, converter))
            previous_param = True
        self._regex = re.compile(regex)
        self._groups = tuple(groups)

    @property
    def key(self) -> Hashable:
        """The shape, parameter names aside: routes with one shape share a tree node."""
        return (
            "compound",
            tuple(p if isinstance(p, str) else ("param", p[1].key) for p in self.pieces),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters' names, in order."""
        return tuple(p[0] for p in self.pieces if not isinstance(p, str))

    def to_python(self, raw: str) -> Parts:
        """Return the converted values of the segment's parameters; raise ValueError if the
        segment does not have the shape or a value does not convert."""
        found = self._regex.fullmatch(raw)
        if found is None:
            raise ValueError(f"{raw!r} does not have the shape {self.describe()}")
        return Parts(converter.to_python(found.group(group)) for group, converter in self._groups)

    def to_url(self, value: Any) -> str:
        """Return the segment for the values ``value`` (a mapping by parameter name)."""
        text = ""
        for piece in self.pieces:
            if isinstance(piece, str):
                text += quote(piece, safe=_SEGMENT_SAFE)
            else:
                text += piece[1].to_url(value[piece[0]])
        return text

    @property
    def sample(self) -> str:
        """The literal text with each parameter's sample."""
        return "".join(p if isinstance(p, str) else p[1].sample for p in self.pieces)

    def describe(self, param: str | None = None) -> str:
        """Return the segment as written: ``{name}.{ext}``."""
        return "".join(p if isinstance(p, str) else p[1].describe(p[0]) for p in self.pieces)


_NAMED: dict[str, Converter] = {
    c.name: c
    for c in (
        IntConverter(),
        FloatConverter(),
        UUIDConverter(),
        SlugConverter(),
        StringConverter(),
        PathConverter(),
    )
}
_REGEX_CACHE: dict[str, RegexConverter] = {}


def is_converter_name(spec: str) -> bool:
    """Whether ``spec`` names a built-in converter (``int``, ``path``...) or is empty."""
    return not spec or spec in _NAMED


def make_converter(spec: str | None) -> Converter:
    """Return the converter for ``spec``: a known name, a regex, or ``str`` when empty."""
    if not spec:
        return _NAMED["str"]
    named = _NAMED.get(spec)
    if named is not None:
        return named
    converter = _REGEX_CACHE.get(spec)
    if converter is None:
        converter = _REGEX_CACHE[spec] = RegexConverter(spec)
    return converter


# --- regex samples (used only by shadow detection, never while serving) ---------------------

_FALLBACK_SAMPLES = ("a", "1", "abc", "A", "0", "000", "a-b_1", "x~y", "1.5", "")
_CANDIDATE_CHARS = "a0A_-~x.Z9 "


def _regex_sample(regex: re.Pattern[str]) -> str:
    """Return a short string that fully matches ``regex``, or ``""`` if none is found."""
    candidates = list(_FALLBACK_SAMPLES)
    # NOTE: re._parser is private; if it ever changes shape we only lose the generated sample.
    with contextlib.suppress(Exception):
        candidates.insert(0, _generate(regex.pattern, regex.flags))
    for text in candidates:
        if regex.fullmatch(text) is not None:
            return text
    return ""


def _generate(pattern: str, flags: int) -> str:
    """Walk the parsed regex and build the shortest obvious string for it."""
    parser = importlib.import_module("re._parser")
    consts = importlib.import_module("re._constants")
    return _emit(parser.parse(pattern, flags), consts, {})


def _emit(items: Iterable[tuple[Any, Any]], c: Any, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op is c.NOT_LITERAL:
            out.append("b" if av == ord("a") else "a")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_pick(av, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, sub = av
            out.append(_emit(sub, c, groups) * (low or min(1, high)))
        elif op is c.SUBPATTERN:
            group, _, _, sub = av
            text = _emit(sub, c, groups)
            if group:
                groups[group] = text
            out.append(text)
        elif op is c.ATOMIC_GROUP:
            out.append(_emit(av, c, groups))
        elif op is c.BRANCH:
            out.append(_emit(av[1][0], c, groups))
        elif op is c.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is c.GROUPREF_EXISTS:
            group, yes, no = av
            branch = yes if group in groups else no
            out.append(_emit(branch, c, groups) if branch else "")
        # AT (anchors) and look-arounds add no text.
    return "".join(out)


_CATEGORY_RES = {
    "CATEGORY_DIGIT": re.compile(r"\d"),
    "CATEGORY_NOT_DIGIT": re.compile(r"\D"),
    "CATEGORY_SPACE": re.compile(r"\s"),
    "CATEGORY_NOT_SPACE": re.compile(r"\S"),
    "CATEGORY_WORD": re.compile(r"\w"),
    "CATEGORY_NOT_WORD": re.compile(r"\W"),
}


def _pick(items: list[tuple[Any, Any]], c: Any) -> str:
    """Return one character inside a character class."""
    negate = bool(items) and items[0][0] is c.NEGATE
    members = items[1:] if negate else items
    for ch in _CANDIDATE_CHARS:
        if _in_class(ch, members, c) != negate:
            return ch
    if not negate:
        for op, av in members:
            if op is c.LITERAL:
                return chr(av)
            if op is c.RANGE:
                return chr(av[0])
    return "a"


def _in_class(ch: str, members: list[tuple[Any, Any]], c: Any) -> bool:
    code = ord(ch)
    for op, av in members:
        if op is c.LITERAL and av == code:
            return True
        if op is c.RANGE and av[0] <= code <= av[1]:
            return True
        if op is c.CATEGORY and _CATEGORY_RES[str(av)].fullmatch(ch):
            return True
    return False
