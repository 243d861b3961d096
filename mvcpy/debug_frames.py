"""What the development error page shows of an exception: the frames of the project's own
code first, each with its source lines and local variables (secrets masked), then the
framework's and libraries'; and the lines of the template a template error points at."""

from __future__ import annotations

import linecache
import re
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

__all__ = ["Excerpt", "Frame", "frames_of", "template_excerpt"]

#: local variables whose names say they hold a secret: their values are not shown
SECRET_NAME = re.compile(r"pass|secret|token|key|auth|cookie|credential|signature|salt", re.I)
_CONTEXT_LINES = 3
_MAX_REPR = 300
_MAX_LOCALS = 40

_MVCPY = str(Path(__file__).resolve().parent) + "/"
_LIBRARIES = tuple(
    {
        str(Path(p).resolve()) + "/"
        for p in (sysconfig.get_path("stdlib"), sysconfig.get_path("purelib"),
                  sysconfig.get_path("platlib"))
        if p
    }
)  # fmt: skip


@dataclass
class Excerpt:
    """Lines of a file around one line: ``(number, text, is_the_line)``."""

    filename: str
    lineno: int
    lines: list[tuple[int, str, bool]]


@dataclass
class Frame:
    """One frame of a traceback, as the debug page shows it."""

    filename: str
    lineno: int
    function: str
    #: the project's code (or its templates), not mvcpy's, a library's or Python's
    mine: bool
    source: Excerpt | None
    locals: list[tuple[str, str]] = field(default_factory=list)


def is_mine(filename: str) -> bool:
    """Whether ``filename`` is the project's, not mvcpy's, a library's or Python's."""
    if filename.startswith("<"):
        return False
    path = str(Path(filename).resolve())
    return not path.startswith(_MVCPY) and not path.startswith(_LIBRARIES)


def excerpt(filename: str, lineno: int) -> Excerpt | None:
    """The lines around ``lineno`` of ``filename``, or ``None`` when it cannot be read."""
    lines = linecache.getlines(filename)
    if not lines or not 0 < lineno <= len(lines):
        return None
    first = max(1, lineno - _CONTEXT_LINES)
    last = min(len(lines), lineno + _CONTEXT_LINES)
    return Excerpt(
        filename,
        lineno,
        [(n, lines[n - 1].rstrip("\n"), n == lineno) for n in range(first, last + 1)],
    )


def _shown(name: str, value: object) -> str:
    if SECRET_NAME.search(name):
        return "******** (hidden: the name says it is a secret)"
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the error page
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= _MAX_REPR else text[:_MAX_REPR] + "..."


def _frames(tb: TracebackType | None) -> list[Frame]:
    found = []
    while tb is not None:
        code = tb.tb_frame.f_code
        filename, lineno = code.co_filename, tb.tb_lineno
        mine = is_mine(filename)
        variables = list(tb.tb_frame.f_locals.items())[:_MAX_LOCALS] if mine else []
        found.append(
            Frame(
                filename,
                lineno,
                code.co_name,
                mine,
                excerpt(filename, lineno),
                [(name, _shown(name, value)) for name, value in variables],
            )
        )
        tb = tb.tb_next
    return found


def frames_of(exc: BaseException) -> list[Frame]:
    """The frames of ``exc`` and of the exceptions it was raised from, innermost first,
    the project's own before the others (each group keeps its order)."""
    frames: list[Frame] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = _frames(current.__traceback__) + frames
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    frames.reverse()
    return [f for f in frames if f.mine] + [f for f in frames if not f.mine]


def template_excerpt(exc: BaseException) -> Excerpt | None:
    """The template lines a template error (or an exception it came from) points at."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        filename = getattr(current, "filename", None)
        lineno = getattr(current, "lineno", None)
        if isinstance(filename, str) and isinstance(lineno, int) and not filename.endswith(".py"):
            source = getattr(current, "source", None)
            if isinstance(source, str):  # a syntax error carries the template's text
                lines = source.splitlines()
                linecache.cache[filename] = (len(source), None, [f"{x}\n" for x in lines], filename)
            found = excerpt(filename, lineno)
            if found is not None:
                return found
        current = current.__cause__ or current.__context__
    return None
