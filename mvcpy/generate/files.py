"""Write what a generator made: refuse to overwrite, edit sources once, say what changed.

A generator first builds a :class:`Plan` (every file's new text, nothing written yet),
so a refusal leaves the project as it was. New files come from the templates under
``app_skeleton/generators/``: Jinja with ``[[ ]]``/``[% %]`` delimiters, so that the
``{{ }}`` and ``{% %}`` of the views they write pass through untouched.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import jinja2

from mvcpy._resources import resource_dir
from mvcpy.errors import ConfigurationError

__all__ = [
    "LINE_LENGTH",
    "Change",
    "Plan",
    "add_import",
    "add_to_all",
    "add_to_function",
    "call_lines",
    "python_string",
    "render",
]

#: ruff format's default line length: generated lines that fit it stay on one line.
LINE_LENGTH = 88


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("app_skeleton") / "generators"),
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    environment.filters["pystr"] = python_string
    return environment


def python_string(text: str) -> str:
    """Return ``text`` as a Python string literal quoted the way ruff format quotes it."""
    quote = "'" if '"' in text and "'" not in text else '"'
    escaped = text.replace("\\", "\\\\")
    if quote == '"':
        escaped = escaped.replace('"', '\\"')
    return quote + escaped + quote


def render(template: str, **context: Any) -> str:
    """Render ``app_skeleton/generators/<template>`` with ``context``."""
    return _environment().get_template(template).render(**context)


@dataclass
class Change:
    """One file of a plan: its new text and what writing it does."""

    path: Path
    text: str
    #: ``create``, ``overwrite`` (with --force), ``update`` (an edit), ``identical``
    #: (nothing to write) or ``conflict`` (exists, differs, no --force)
    action: str


class Plan:
    """The files a generator writes, checked before anything is written."""

    def __init__(self, root: Path, force: bool) -> None:
        self.root = root
        self.force = force
        self.changes: list[Change] = []

    def add(self, path: Path, text: str) -> None:
        """Plan a new file; an existing one is replaced only with ``force``."""
        text = _formatted(text, path)
        if path.is_dir():
            raise ConfigurationError(f"{self.show(path)} is a directory: cannot write a file there")
        if not path.exists():
            action = "create"
        elif path.read_text(encoding="utf-8") == text:
            action = "identical"
        else:
            action = "overwrite" if self.force else "conflict"
        self.changes.append(Change(path, text, action))

    def edit(self, path: Path, text: str) -> None:
        """Plan an edit of an existing file (``routes.py``) to ``text``; edits accumulate.

        The edit is laid out as ruff would (``call_lines``); the rest of the user's file
        is left as it is."""
        action = "identical" if path.read_text(encoding="utf-8") == text else "update"
        for change in self.changes:
            if change.path == path:
                change.text, change.action = text, action
                return
        self.changes.append(Change(path, text, action))

    def conflict(self, path: Path) -> None:
        """Record a file that blocks the plan unless ``force`` is given."""
        if not self.force:
            self.changes.append(Change(path, "", "conflict"))

    def current(self, path: Path) -> str:
        """Return the text ``path`` will have: as planned so far, else as on disk."""
        for change in self.changes:
            if change.path == path:
                return change.text
        return path.read_text(encoding="utf-8")

    def show(self, path: Path) -> str:
        """Return ``path`` relative to the project, as the messages print it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def check(self) -> None:
        """Refuse the whole plan when a file would be overwritten without ``force``."""
        conflicts = [self.show(c.path) for c in self.changes if c.action == "conflict"]
        if conflicts:
            raise ConfigurationError(
                f"not overwriting {', '.join(conflicts)}: "
                f"{'it exists' if len(conflicts) == 1 else 'they exist'}; "
                "pass --force to overwrite (nothing was written)"
            )

    def write(self, out: TextIO | None = None) -> list[Change]:
        """Check, then write every change and print one line each; return the changes."""
        self.check()
        stream = out or sys.stdout
        for change in self.changes:
            if change.action in ("create", "overwrite", "update"):
                change.path.parent.mkdir(parents=True, exist_ok=True)
                change.path.write_text(change.text, encoding="utf-8")
            self.report(change.action, change.path, stream)
        return list(self.changes)

    def report(self, action: str, path: Path, out: TextIO) -> None:
        """Print ``  create  blog/models/post.py``."""
        print(f"{action:>10}  {self.show(path)}", file=out)


def _formatted(text: str, path: Path) -> str:
    """Python as ruff formats it when the project has ruff (mvcpy._ruff); the rest as is."""
    if path.suffix != ".py":
        return text
    from mvcpy._ruff import format_source

    return format_source(text, path)


# -- idempotent source edits ----------------------------------------------------------
def call_lines(head: str, args: list[str], indent: str) -> list[str]:
    """Lay out ``head(args)`` as ruff format does: one line, one indented line, or one per arg."""
    one = f"{indent}{head}({', '.join(args)})"
    if len(one) <= LINE_LENGTH:
        return [one]
    inner = f"{indent}    {', '.join(args)}"
    if len(inner) <= LINE_LENGTH:
        return [f"{indent}{head}(", inner, f"{indent})"]
    return [f"{indent}{head}(", *(f"{indent}    {arg}," for arg in args), f"{indent})"]


def _has_block(source: str, lines: list[str]) -> bool:
    """Whether ``lines`` appear in ``source`` one after the other (indentation aside)."""
    wanted = [line.strip() for line in lines]
    have = [line.strip() for line in source.splitlines()]
    size = len(wanted)
    return any(have[i : i + size] == wanted for i in range(len(have) - size + 1))


def _parse(source: str, where: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise ConfigurationError(
            f"{where} does not parse (line {exc.lineno}: {exc.msg}): fix it first"
        ) from None


def _insert(source: str, index: int, lines: list[str]) -> str:
    existing = source.splitlines(keepends=True)
    if existing and not existing[-1].endswith("\n"):
        existing[-1] += "\n"
    existing[index:index] = [line + "\n" for line in lines]
    return "".join(existing)


def _isort_key(name: str) -> tuple[int, str]:
    """Order names as ruff's isort does: CONSTANTS, then Classes, then functions."""
    bare = name.split(" as ")[0]
    kind = 0 if bare.isupper() else 1 if bare[:1].isupper() else 2
    return kind, bare


def add_import(
    source: str, module: str, name: str | Sequence[str], package: str, where: str
) -> str:
    """Add ``from module import name`` (or several names) among the ``package`` imports,
    kept in order, laid out as ruff format does."""
    names = sorted([name] if isinstance(name, str) else name, key=_isort_key)
    one = f"from {module} import {', '.join(names)}"
    lines = (
        [one]
        if len(one) <= LINE_LENGTH
        else [f"from {module} import (", *(f"    {n}," for n in names), ")"]
    )
    if _has_block(source, lines):
        return source
    tree = _parse(source, where)
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    own = [
        node
        for node in imports
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package + ".")
    ]
    if own:
        after = [node for node in own if (node.module or "") > module]
        if after:
            return _insert(source, after[0].lineno - 1, lines)
        return _insert(source, _end(own[-1]), lines)
    if imports:  # a section of its own after the others
        return _insert(source, _end(imports[-1]), ["", *lines])
    docstring = tree.body[:1] if tree.body and _is_docstring(tree.body[0]) else []
    at = _end(docstring[0]) if docstring else 0
    return _insert(source, at, ["", *lines] if docstring else [*lines, ""])


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def add_to_all(source: str, name: str, where: str) -> str:
    """Add ``name`` to the module's ``__all__`` list (sorted); no ``__all__``, no change."""
    tree = _parse(source, where)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = [getattr(t, "id", None) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):  # __all__: list[str] = []
            targets = [getattr(node.target, "id", None)]
        else:
            continue
        if targets != ["__all__"] or not isinstance(node.value, ast.List | ast.Tuple):
            continue
        names = [
            e.value
            for e in node.value.elts
            if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if name in names:
            return source
        if len(names) != len(node.value.elts):
            raise ConfigurationError(f"{where}: __all__ is not a list of strings; add {name!r}")
        names = sorted({*names, name})
        one_line = "__all__ = [" + ", ".join(f'"{n}"' for n in names) + "]"
        text = (
            [one_line]
            if len(one_line) <= LINE_LENGTH
            else ["__all__ = [", *(f'    "{n}",' for n in names), "]"]
        )
        lines = source.splitlines(keepends=True)
        lines[node.lineno - 1 : _end(node)] = [t + "\n" for t in text]
        return "".join(lines)
    return source


def add_to_function(source: str, function: str, lines: list[str], where: str) -> str:
    """Append ``lines`` (indented for the body) to the module's function ``function``, once."""
    if _has_block(source, lines):
        return source
    tree = _parse(source, where)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return _insert(source, _end(node.body[-1]), lines)
    shown = " ".join(line.strip() for line in lines)
    raise ConfigurationError(
        f"{where} has no function {function}(app) to add the route to; add it yourself: {shown}"
    )
