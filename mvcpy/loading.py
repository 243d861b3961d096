"""Find and import the project's app from ``module:attribute``: the one loader that the
``mvcpy`` commands and Alembic's ``env.py`` share."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mvcpy.errors import ConfigurationError

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["find_app_spec", "load_app"]

_CANDIDATES = ("app:app", "main:app", "wsgi:app")


def find_app_spec(cwd: Path) -> str:
    """Find ``module:attribute`` of the project's app: ``MVCPY_APP``, then common layouts."""
    spec = os.environ.get("MVCPY_APP")
    if spec:
        return spec
    for candidate in _CANDIDATES:
        module = candidate.split(":", 1)[0]
        if (cwd / f"{module}.py").is_file():
            return candidate
    for package in sorted(p for p in cwd.iterdir() if (p / "__init__.py").is_file()):
        if (package / "app.py").is_file():
            return f"{package.name}.app:app"
    raise ConfigurationError(
        "no app found: pass --app module:attribute, set MVCPY_APP, or run where app.py is"
    )


def load_app(spec: str) -> App:
    """Import ``module:attribute`` and return the app."""
    from mvcpy.app import App

    module_name, _, attribute = spec.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name != missing and not module_name.startswith(missing + "."):
            raise  # an import inside the project failed: its traceback is the useful answer
        raise ConfigurationError(
            f"cannot import {spec}: there is no module {missing!r} here ({Path.cwd()}); "
            "run the command in the project's directory, or pass --app / set MVCPY_APP"
        ) from None
    app = getattr(module, attribute or "app", None)
    if not isinstance(app, App):
        raise ConfigurationError(f"{spec} is not an mvcpy App (got {type(app).__name__})")
    return app
