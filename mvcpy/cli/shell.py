"""``mvcpy shell``: a Python REPL with the app, a session and the models loaded."""

from __future__ import annotations

import argparse
import code
from typing import Any

from mvcpy.cli.loader import app_from_args

__all__ = ["run_shell", "shell_namespace"]


def shell_namespace(app: Any) -> dict[str, Any]:
    """Return the names the shell starts with: ``app``, ``db``, ``select`` and every model."""
    from sqlalchemy import select

    from mvcpy.migrate import target_metadata
    from mvcpy.orm.model import Model

    target_metadata(app)  # import the [database] models modules
    namespace: dict[str, Any] = {"app": app, "db": app.database.session(), "select": select}
    for mapper in Model.registry.mappers:
        namespace[mapper.class_.__name__] = mapper.class_
    return namespace


def run_shell(args: argparse.Namespace) -> int:
    """Start the REPL; the session is closed (uncommitted work rolled back) on exit."""

    app = app_from_args(args)
    namespace = shell_namespace(app)
    names = ", ".join(sorted(namespace))
    try:
        code.interact(banner=f"mvcpy shell: {names} (db.commit() to keep changes)", local=namespace)
    finally:
        namespace["db"].close()
    return 0
