"""``mvcpy check``: is this project ready for production? One line per check.

The checks are :mod:`mvcpy.readiness`'s and the components'; ``mvcpy serve`` runs the same
ones and refuses to start on the fatal ones.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_from_args
from mvcpy.cli.templates import add_urls_check
from mvcpy.config import ENVIRONMENTS
from mvcpy.readiness import Result, run_checks

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mvcpy.app import App

__all__ = ["add_check_command", "load_for_env", "print_results"]

_MAX_DETAILS = 10


def _lines(results: list[Result]) -> Iterator[str]:
    width = max(len(result.name) for result in results)
    for result in results:
        status = "WARN" if result.warning else {True: "ok", False: "FAIL", None: "skip"}[result.ok]
        yield f"{status:<5} {result.name:<{width}}  {result.message}"
        shown = result.details[:_MAX_DETAILS]
        for detail in shown:
            yield f"{'':<5} {'':<{width}}    {detail}"
        if len(result.details) > len(shown):
            yield f"{'':<5} {'':<{width}}    ... and {len(result.details) - len(shown)} more"


def print_results(results: list[Result], out: TextIO) -> None:
    """Print one line per check (and the problems it found, indented)."""
    for line in _lines(results):
        print(line, file=out)


def load_for_env(args: argparse.Namespace) -> App:
    """Load the app as environment ``args.env`` builds it (``MVCPY_ENV`` is set for it)."""
    os.environ["MVCPY_ENV"] = args.env
    return app_from_args(args)


def _cmd_check(args: argparse.Namespace) -> int:
    app = load_for_env(args)
    print(f"checking {app.config.core.app_name} ({app.root_path}) in {app.env}")
    results = run_checks(app)
    print_results(results, sys.stdout)
    failed = sum(result.failed for result in results)
    if failed:
        print(f"{failed} check(s) failed: fix them before deploying")
        return 1
    print("ready for production" if app.env == "prod" else f"every check passed in {app.env}")
    return 0


def add_check_command(commands: Any) -> None:
    """Add ``mvcpy check`` (production readiness) and its ``urls`` form to the subcommands."""
    check = commands.add_parser(
        "check",
        help="production readiness: secret key, debug, allowed_hosts, migrations, templates, urls",
        description="Check that the project is ready for production, one line per check "
        "(ok, FAIL with how to fix it, or skip); exit 1 when any check fails. The app is "
        "loaded with MVCPY_ENV=prod unless --env says otherwise.\n"
        "`mvcpy check urls` checks only the url_for calls.",
        **examples(
            "mvcpy check                    # the prod configuration",
            "MVCPY_SECRET_KEY=... mvcpy check --app blog.app:app",
            "mvcpy check --env test",
            "mvcpy check urls",
        ),
    )
    add_app_option(check)
    check.add_argument(
        "--env", choices=ENVIRONMENTS, default="prod", help="the configuration to check (prod)"
    )
    check.set_defaults(func=_cmd_check)
    add_urls_check(check.add_subparsers(dest="check_command", metavar="{urls}"))
