"""``mvcpy new NAME``: write a new project from the framework's ``app_skeleton/``.

``root/`` of the skeleton becomes the project directory, ``project/`` its package
``NAME``, and ``api/`` is laid over both for ``--api`` (views and static files are left
out). ``{{ project }}`` in file contents is replaced; a file
named ``dot-X`` is written as ``.X``. The migrations environment is written by
:func:`mvcpy.migrate.write_migrations`, as ``mvcpy db init`` does.
"""

from __future__ import annotations

import keyword
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mvcpy._resources import resource_dir
from mvcpy.errors import ConfigurationError
from mvcpy.migrate import write_migrations

__all__ = ["create_project", "validate_name"]
_HTML_ONLY = ("views", "static")
_DOT_PREFIX = "dot-"
_SKIP = {"__pycache__", ".DS_Store"}


def validate_name(name: str) -> str:
    """Return ``name`` when it can be the project's package name, else raise ConfigurationError."""
    if not name.isidentifier() or not name.isascii():
        raise ConfigurationError(
            f"project name {name!r} is not a Python identifier: use letters, digits and "
            "underscores, not starting with a digit (for example: blog, my_shop)"
        )
    if keyword.iskeyword(name) or name in sys.stdlib_module_names or name in {"mvcpy", "tests"}:
        raise ConfigurationError(
            f"project name {name!r} would shadow a Python module: choose another name"
        )
    return name


def _files(directory: Path) -> Iterator[tuple[Path, Path]]:
    """Yield (source, relative destination) for every file under ``directory``."""
    for source in sorted(directory.rglob("*")):
        relative = source.relative_to(directory)
        if not source.is_file() or _SKIP.intersection(relative.parts):
            continue
        parts = [
            "." + part[len(_DOT_PREFIX) :] if part.startswith(_DOT_PREFIX) else part
            for part in relative.parts
        ]
        yield source, Path(*parts)


def _render(source: Path, destination: Path, name: str) -> None:
    text = source.read_text(encoding="utf-8")
    text = text.replace("{{ project }}", name)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(text, encoding="utf-8")


def _write_tree(skeleton: Path, target: Path, name: str, api: bool) -> None:
    package = target / name
    layers = [(skeleton / "root", target), (skeleton / "project", package)]
    if api:
        layers += [(skeleton / "api" / "root", target), (skeleton / "api" / "project", package)]
    for directory, destination in layers:
        for source, relative in _files(directory):
            if api and directory.parent == skeleton and relative.parts[0] in _HTML_ONLY:
                continue
            _render(source, destination / relative, name)


def create_project(name: str, directory: Path, *, api: bool = False) -> Path:
    """Write project ``name`` into ``directory`` (absent or empty); return the directory.

    The project is built in a temporary directory beside ``directory`` and moved into
    place at the end, so a failure leaves nothing half-written.
    """
    validate_name(name)
    target = directory.resolve()
    if target.exists() and not target.is_dir():
        raise ConfigurationError(f"{target} is a file: choose another --dir")
    if target.exists() and any(target.iterdir()):
        raise ConfigurationError(f"{target} already exists and is not empty: choose another --dir")
    target.parent.mkdir(parents=True, exist_ok=True)
    skeleton = resource_dir("app_skeleton")
    with tempfile.TemporaryDirectory(prefix=".mvcpy-new-", dir=target.parent) as scratch:
        build = Path(scratch) / "project"
        build.mkdir()
        # The migrations environment first: the skeleton adds the initial revision to it.
        write_migrations(build / name, f"{name}.app:app", build)
        _write_tree(skeleton, build, name, api)
        if target.exists():  # empty, checked above; kept, since it may be the shell's cwd
            for child in build.iterdir():
                shutil.move(child, target / child.name)
        else:
            shutil.move(build, target)
    return target
