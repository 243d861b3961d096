"""The ``mvcpy`` command: one module a command, one shared app loader (:mod:`.loader`).

The runtime never imports this package. Components bring their own commands
(:mod:`.plugins`). Every command's ``--help`` ends with examples.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mvcpy._help import examples
from mvcpy.cli.check import add_check_command
from mvcpy.cli.config import add_config_command
from mvcpy.cli.db import add_commands as add_db_commands
from mvcpy.cli.generate import add_generate_command
from mvcpy.cli.loader import find_app_spec, load_app
from mvcpy.cli.new import add_new_command
from mvcpy.cli.openapi import add_openapi_command
from mvcpy.cli.plugins import add_component_commands
from mvcpy.cli.routes import add_routes_command
from mvcpy.cli.run import add_run_command
from mvcpy.cli.serve import add_serve_command
from mvcpy.cli.templates import add_view_commands
from mvcpy.errors import ConfigurationError
from mvcpy.loading import project_root

__all__ = ["build_parser", "find_app_spec", "load_app", "main"]


def _version_text() -> str:
    from mvcpy import __version__

    return f"mvcpy {__version__} (Python {sys.version.split()[0]})"


def _version(args: argparse.Namespace) -> int:
    print(_version_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``mvcpy`` command, with the components' commands."""
    parser = argparse.ArgumentParser(
        prog="mvcpy",
        description="The mvcpy web framework. `mvcpy COMMAND --help` shows a command's options.",
        **examples(
            "mvcpy new blog && cd blog && mvcpy db upgrade && mvcpy run",
            "mvcpy check && mvcpy serve",
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=_version_text(),
        help="print the versions of mvcpy and Python (as `mvcpy version` does)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_run_command(commands)  # run (uvicorn, development)
    add_routes_command(commands)  # routes [--explain PATH]
    version = commands.add_parser(
        "version",
        help="print the mvcpy version",
        description="Print the versions of mvcpy and Python.",
        **examples("mvcpy version"),
    )
    version.set_defaults(func=_version)
    add_config_command(commands)  # config [--json]
    add_serve_command(commands)  # serve (gunicorn)
    add_check_command(commands)  # check (production readiness), check urls
    add_view_commands(commands)  # templates check
    add_db_commands(commands)  # db init|revision|upgrade|..., shell
    add_openapi_command(commands)  # openapi
    add_new_command(commands)  # new NAME [--api]
    add_generate_command(commands)  # generate controller|model|migration|scaffold
    try:
        add_component_commands(commands, set(commands.choices))
    except ConfigurationError as exc:
        print(f"mvcpy: the components' commands are not available: {exc}", file=sys.stderr)
    return parser


#: Commands that do not work on a project (the others run in the project's folder).
_ANYWHERE = frozenset({"new", "version"})


def _enter_project(args: argparse.Namespace) -> None:
    """Run a project command from the project's folder, wherever inside it it was typed."""
    if args.command in _ANYWHERE or getattr(args, "app", None) or os.environ.get("MVCPY_APP"):
        return
    here = Path.cwd()
    root = project_root(here)
    if root is None or root == here:
        return
    for name in ("config",):  # paths given on the command line stay where they were
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            setattr(args, name, str((here / value).resolve()))
    os.chdir(root)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mvcpy`` command."""
    args = build_parser().parse_args(argv)
    _enter_project(args)
    try:
        return int(args.func(args))
    except ConfigurationError as exc:
        print(f"mvcpy: {exc}", file=sys.stderr)
        return 2
