"""Template errors that name the template and line, and the sessions-not-enabled helpers."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, NoReturn

import jinja2

__all__ = ["SessionsNotEnabled", "TemplateRenderError", "locate", "session_helper"]


class TemplateRenderError(jinja2.TemplateError):
    """A template failed to render; the message names the template file and line."""

    def __init__(
        self,
        message: str,
        template: str | None,
        lineno: int | None,
        filename: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.template = template
        self.lineno = lineno
        #: the file that holds the faulty line (a parent or included template, maybe)
        self.filename = filename or template
        #: the message without the location
        self.detail = detail or message

    def __str__(self) -> str:
        return str(self.message)


class SessionsNotEnabled(RuntimeError):
    """A session helper (``csrf_token()``, flashes) was called while sessions are off."""


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """Return (file, line) of the innermost template frame of a Jinja-rewritten traceback."""
    found: tuple[str, int] | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<frozen"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def locate(exc: BaseException, name: str) -> TemplateRenderError:
    """Wrap ``exc`` raised while rendering ``name`` in an error naming the template and line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = exc.filename or exc.name or name
        detail = f"syntax error: {exc.message}"
        message = f"{where}, line {exc.lineno}: {detail}"
        return TemplateRenderError(message, exc.name or name, exc.lineno, where, detail)
    frame = _template_frame(exc.__traceback__)
    detail = f"{type(exc).__name__}: {exc}"
    if frame is None:
        return TemplateRenderError(f"{name}: {detail}", name, None, name, detail)
    filename, lineno = frame
    suffix = "" if filename.endswith(name) else f" (rendering {name})"
    message = f"{filename}, line {lineno}: {detail}{suffix}"
    return TemplateRenderError(message, name, lineno, filename, detail + suffix)


def session_helper(helper: str) -> Callable[..., Any]:
    """Return a template global that explains that ``helper`` needs sessions."""

    def unavailable(*args: Any, **kwargs: Any) -> NoReturn:
        raise SessionsNotEnabled(
            f"{helper}() needs sessions, which are not enabled for this app; "
            "enable sessions to use it in templates"
        )

    unavailable.__name__ = helper
    return unavailable
