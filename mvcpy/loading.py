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

__all__ = ["find_app_spec", "load_app", "project_root"]

_CANDIDATES = ("app:app", "main:app", "wsgi:app")


def _spec_in(folder: Path) -> str | None:
    """The app's ``module:attribute`` when ``folder`` holds it (app.py, or a package's)."""
    for candidate in _CANDIDATES:
        module = candidate.split(":", 1)[0]
        if (folder / f"{module}.py").is_file():
            return candidate
    try:
        packages = sorted(p for p in folder.iterdir() if (p / "__init__.py").is_file())
    except OSError:
        return None
    for package in packages:
        if (package / "app.py").is_file():
            return f"{package.name}.app:app"
    return None


def project_root(start: Path) -> Path | None:
    """Return the folder of the project ``start`` is in, or ``None`` outside any.

    Walking up from ``start``: the first folder that is not inside a package and holds
    the app, so that a command run in the package's folder or any folder below the
    project (``views/``, ``tests/``) finds the project it belongs to.
    """
    for folder in (start, *start.parents):
        if (folder / "__init__.py").is_file():
            continue  # inside a package: its project is further up
        if _spec_in(folder) is not None:
            return folder
    return None


def find_app_spec(cwd: Path) -> str:
    """Find ``module:attribute`` of the project's app: ``MVCPY_APP``, then common layouts."""
    spec = os.environ.get("MVCPY_APP") or _spec_in(cwd)
    if spec:
        return spec
    raise ConfigurationError(
        f"no app found in {cwd} or the folders above it: run the command inside a project "
        "(made by `mvcpy new`), or pass --app module:attribute, or set MVCPY_APP"
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
