"""Static checks: templates that do not compile, and ``url_for`` calls that cannot work.

Both run without a request. ``check_urls`` reads every template's ``url_for``/``urlfor``
calls and the project's Python ``url_for``/``redirect`` calls whose route name is a
constant, and reports unknown route names, missing path parameters, constant values
that do not fit a parameter's converter, and unknown ``_options``.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2
from jinja2 import nodes

from mvcpy.views.errors import TemplateRenderError

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.routing.router import Router

__all__ = ["Problem", "check_templates", "check_url_calls", "check_urls", "extends_cycle"]

_URL_FUNCTIONS = frozenset({"url_for", "urlfor"})
_OPTIONS = frozenset({"_external", "_anchor", "_scheme", "_request"})
_SKIP_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "venv", "build", "dist", "tests", "test"}
)


@dataclass(frozen=True)
class Problem:
    """One finding, with where it is."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class TemplateSet(Protocol):
    """The app's templates, as the checks read them (:class:`~mvcpy.views.Templates`)."""

    @property
    def env(self) -> jinja2.Environment:
        """The Jinja environment."""
        ...

    def compile_all(self) -> list[TemplateRenderError]:
        """Compile every template; return the errors."""
        ...

    def list_templates(self) -> list[str]:
        """Return the names of every template."""
        ...


def check_templates(templates: TemplateSet) -> list[Problem]:
    """Compile every template; return one problem per template that does not compile."""
    return [
        Problem(str(error.filename), error.lineno, str(error.detail))
        for error in templates.compile_all()
    ]


# -- url_for ------------------------------------------------------------------------
def _check_call(
    router: Router, name: str, keys: set[str] | None, constants: dict[str, Any]
) -> list[str]:
    """Return what is wrong with ``url_for(name, **keys)``; ``keys`` is None for ``**kw``."""
    route = router.names.get(name)
    if route is None:
        close = difflib.get_close_matches(name, list(router.names), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return [f"url_for: no route named {name!r}{hint}"]
    messages: list[str] = []
    if keys is not None:
        missing = sorted(route.builder.names - keys)
        if missing:
            messages.append(
                f"url_for({name!r}): missing parameter(s) {', '.join(missing)} for {route.pattern}"
            )
        for key in sorted(keys):
            if key.startswith("_") and key not in _OPTIONS:
                messages.append(
                    f"url_for({name!r}): unknown option {key!r} "
                    f"(options are {', '.join(sorted(_OPTIONS))})"
                )
    for part in route.builder.parts:
        if isinstance(part, str) or part[0] not in constants:
            continue
        param, converter = part
        try:
            converter.to_url(constants[param])
        except (TypeError, ValueError) as exc:
            messages.append(
                f"url_for({name!r}): {param}={constants[param]!r} does not fit "
                f"{converter.describe()}: {exc}"
            )
    return messages


def _template_calls(
    env: jinja2.Environment, source: str, name: str
) -> Iterator[tuple[int, str, set[str] | None, dict[str, Any]]]:
    tree = env.parse(source, name)
    for call in tree.find_all(nodes.Call):
        if not isinstance(call.node, nodes.Name) or call.node.name not in _URL_FUNCTIONS:
            continue
        if not call.args or not isinstance(call.args[0], nodes.Const):
            continue
        route = call.args[0].value
        if not isinstance(route, str):
            continue
        keys = None if call.dyn_kwargs is not None else {kw.key for kw in call.kwargs}
        constants = {
            kw.key: kw.value.value for kw in call.kwargs if isinstance(kw.value, nodes.Const)
        }
        yield call.lineno, route, keys, constants


def _python_calls(
    source: str, filename: str
) -> Iterator[tuple[int, str, set[str] | None, dict[str, Any]]]:
    tree = ast.parse(source, filename)
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not call.args:
            continue
        func = call.func
        called = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        if called not in _URL_FUNCTIONS and called != "redirect":
            continue
        first = call.args[0]
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
            continue
        route = first.value
        if called == "redirect" and ("/" in route or route.startswith("?") or ":" in route):
            continue  # a URL, not a route name
        if any(kw.arg is None for kw in call.keywords):
            keys = None
        else:
            keys = {kw.arg for kw in call.keywords if kw.arg is not None}
            if called == "redirect":
                keys.discard("status")
        constants = {
            kw.arg: kw.value.value
            for kw in call.keywords
            if kw.arg is not None and isinstance(kw.value, ast.Constant)
        }
        yield call.lineno, route, keys, constants


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts[:-1]
        if any(p.startswith(".") or p in _SKIP_DIRS for p in parts):
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def check_urls(app: Application, python: bool = True) -> list[Problem]:
    """Check every constant ``url_for``/``urlfor``/``redirect`` route name and its arguments."""
    return check_url_calls(app.templates, app.route_table, app.root_path if python else None)


def check_url_calls(templates: TemplateSet, router: Router, root: Path | None) -> list[Problem]:
    """Check the ``url_for`` calls of ``templates`` (and of the Python files under ``root``,
    when given) against the routes of ``router``."""
    env = templates.env
    problems: list[Problem] = []
    for name in templates.list_templates():
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            calls = list(_template_calls(env, source, name))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                Problem(exc.filename or name, exc.lineno, f"syntax error: {exc.message}")
            )
            continue
        for line, route, keys, constants in calls:
            for message in _check_call(router, route, keys, constants):
                problems.append(Problem(filename or name, line, message))
    if root is not None:
        for path in _python_files(root):
            try:
                calls = list(_python_calls(path.read_text(encoding="utf-8"), str(path)))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue  # not ours to judge; Python reports it when imported
            for line, route, keys, constants in calls:
                for message in _check_call(router, route, keys, constants):
                    problems.append(Problem(str(path), line, message))
    return problems


# -- recursive templates ----------------------------------------------------------------
def _references(env: jinja2.Environment, name: str) -> list[str]:
    try:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        tree = env.parse(source, name)
    except (jinja2.TemplateNotFound, jinja2.TemplateSyntaxError):
        return []
    found: list[str] = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        template = getattr(node, "template", None)
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            found.append(template.value)
    return found


def extends_cycle(templates: TemplateSet, name: str) -> list[str] | None:
    """Return a chain of constant extends/includes from ``name`` that loops, or ``None``."""
    env = templates.env
    path: list[str] = []
    done: set[str] = set()

    def visit(current: str) -> list[str] | None:
        if current in path:
            return [*path[path.index(current) :], current]
        if current in done:
            return None
        path.append(current)
        for ref in _references(env, current):
            cycle = visit(ref)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(current)
        return None

    return visit(name)
