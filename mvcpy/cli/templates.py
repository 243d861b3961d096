"""The ``mvcpy templates check`` and ``mvcpy check urls`` commands.

``mvcpy check`` itself (production readiness) is :mod:`mvcpy.readiness`, which adds
``urls`` below it with :func:`add_urls_check`.
"""

from __future__ import annotations

import argparse
from typing import Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_from_args
from mvcpy.views.checks import Problem, check_templates, check_urls

__all__ = ["add_urls_check", "add_view_commands"]


def _load(args: argparse.Namespace) -> Any:

    return app_from_args(args)


def _report(problems: list[Problem], ok: str) -> int:
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print(ok)
    return 0


def _cmd_templates_check(args: argparse.Namespace) -> int:
    app = _load(args)
    count = len(app.templates.list_templates())
    return _report(check_templates(app.templates), f"{count} template(s) compiled, no errors")


def _cmd_check_urls(args: argparse.Namespace) -> int:
    app = _load(args)
    return _report(check_urls(app, python=not args.templates_only), "every url_for is valid")


def add_view_commands(commands: Any) -> None:
    """Add ``templates check`` to the ``mvcpy`` subcommands."""
    templates = commands.add_parser(
        "templates",
        help="work with the app's templates",
        description="Work with the app's templates (views/).",
        **examples("mvcpy templates check", "mvcpy templates check --app blog.app:app"),
    )
    templates_sub = templates.add_subparsers(dest="templates_command", required=True)
    check = templates_sub.add_parser(
        "check",
        help="compile every template and report syntax errors (exit 1 when any)",
        description="Compile every template; print file:line: message for each error.",
        **examples("mvcpy templates check", "mvcpy templates check --app blog.app:app"),
    )
    add_app_option(check)
    check.set_defaults(func=_cmd_templates_check)


def add_urls_check(check_commands: Any) -> None:
    """Add ``urls`` to the subcommands of ``mvcpy check``."""
    urls = check_commands.add_parser(
        "urls",
        help="report url_for/urlfor/redirect calls naming unknown routes or missing parameters",
        description="Check every constant route name in templates and Python code "
        "against the route table; exit 1 when a call cannot work.",
        **examples("mvcpy check urls", "mvcpy check urls --templates-only --app blog.app:app"),
    )
    add_app_option(urls)
    urls.add_argument(
        "--templates-only", action="store_true", help="skip the project's Python files"
    )
    urls.set_defaults(func=_cmd_check_urls)
