"""How a template's ``{{ value }}`` reaches the page when it is autoescaped.

Jinja wraps each such value in ``markupsafe.escape``, which builds a ``Markup`` object
(a ``str`` subclass made in Python) only for the page's ``"".join`` to read it once:
about 1 µs of a value's 1.5 (BENCHMARKS.md). :class:`CodeGenerator` makes templates call
:func:`escape_output` instead, which escapes the same characters the same way (with
MarkupSafe's own escaping) and returns the plain string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import markupsafe
from jinja2.compiler import CodeGenerator as JinjaCodeGenerator
from jinja2.compiler import Frame
from jinja2.nodes import Expr, Template

__all__ = ["CodeGenerator", "escape_output"]


def _escape_through_markup(text: str) -> str:
    return str(markupsafe.escape(text))


#: MarkupSafe's own escaping of a string (its C speed-up), where the version has it
_escape_text: Callable[[str], str] = getattr(markupsafe, "_escape_inner", _escape_through_markup)


def escape_output(value: Any) -> str:
    """``value`` as autoescaped output: its ``__html__()`` when it has one (``Markup``,
    ``csrf_input()``), else its text with ``& < > ' "`` escaped."""
    if value.__class__ is str:
        return _escape_text(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_text(str(value))


class CodeGenerator(JinjaCodeGenerator):
    """Jinja's code generator (``Environment.code_generator_class``), but autoescaped
    output goes through :func:`escape_output`."""

    def visit_Template(self, node: Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import escape_output")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
            return
        super()._output_child_pre(node, frame, finalize)
