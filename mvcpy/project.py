"""``mvcpy new NAME``: write a new project from the framework's ``app_skeleton/``.

``root/`` of the skeleton becomes the project directory, ``project/`` its package
``NAME``, and ``api/`` is laid over both for ``--api`` (views and static files are left
out). ``{{ project }}`` and ``{{ docs_url }}`` in file contents are replaced; a file
named ``dot-X`` is written as ``.X``. The migrations environment is written by
:func:`mvcpy.migrate.write_migrations`, as ``mvcpy db init`` does.
"""

from __future__ import annotations

import argparse
import keyword
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mvcpy._help import examples
from mvcpy._resources import resource_dir
from mvcpy.errors import ConfigurationError
from mvcpy.migrate import write_migrations

__all__ = ["DOCS_URL", "add_new_command", "create_project", "validate_name"]

#: Where the home page and the README of a new project point for the documentation.
DOCS_URL = "https://github.com/mvcpy/mvcpy/tree/main/docs"
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
    text = text.replace("{{ project }}", name).replace("{{ docs_url }}", DOCS_URL)
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
        if target.exists():
            target.rmdir()  # empty, checked above
        shutil.move(build, target)
    return target


def _cmd_new(args: argparse.Namespace) -> int:
    name = validate_name(args.name)
    directory = Path(args.dir) if args.dir else Path.cwd() / name
    target = create_project(name, directory, api=args.api)
    kind = "JSON API project" if args.api else "project"
    shown = args.dir or name
    print(f"created the {kind} {name} in {target}")
    print(f"next:\n  cd {shown}\n  mvcpy db upgrade\n  mvcpy run\n  python -m pytest -q")
    return 0


def add_new_command(commands: Any) -> None:
    """Add ``mvcpy new NAME [--api] [--dir PATH]`` to the ``mvcpy`` command's subparsers."""
    new = commands.add_parser(
        "new",
        help="create a new project (package, views, models, migrations, tests)",
        description="Create a project that runs, migrates and passes its tests at once: "
        "a package NAME with controllers, models, views, migrations and conf/app.toml, plus "
        "tests/ and gunicorn.conf.py.",
        **examples(
            "mvcpy new blog && cd blog && mvcpy db upgrade && mvcpy run",
            "mvcpy new api --api              # JSON only: no views, no static files",
            "mvcpy new shop --dir ~/src/shop",
        ),
    )
    new.add_argument("name", help="the project's package name (a Python identifier)")
    new.add_argument("--api", action="store_true", help="a JSON-only project: no views, no static")
    new.add_argument("--dir", help="where to write the project (default: ./NAME; must be empty)")
    new.set_defaults(func=_cmd_new)
