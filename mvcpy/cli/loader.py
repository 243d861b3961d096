"""The app loader every ``mvcpy`` command shares: ``--app``, ``MVCPY_APP`` or discovered."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from mvcpy.loading import find_app_spec, load_app

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["add_app_option", "app_from_args", "app_spec", "find_app_spec", "load_app"]


def add_app_option(parser: argparse.ArgumentParser) -> None:
    """Give a command the ``--app module:attribute`` option every command shares."""
    parser.add_argument("--app", help="module:attribute of the app (default: discovered)")


def app_spec(args: argparse.Namespace) -> str:
    """Return the command's ``module:attribute``: ``--app``, else ``MVCPY_APP`` or discovered."""
    return getattr(args, "app", None) or find_app_spec(Path.cwd())


def app_from_args(args: argparse.Namespace) -> App:
    """Import and return the app the command's arguments name (see :func:`app_spec`)."""
    return load_app(app_spec(args))
