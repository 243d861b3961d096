"""Find the framework's own data directories: ``static``, ``app_skeleton``, ``migrations``.

In a wheel they are package data inside ``mvcpy/``; in a source checkout (editable
install) they sit beside the package at the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_dir"]

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the directory of framework resource ``name``."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mvcpy resource directory {name!r} is missing from the install")
