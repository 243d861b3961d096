"""``mvcpy new NAME``: write a working project from the skeleton."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mvcpy._help import examples
from mvcpy.project import create_project, validate_name

__all__ = ["add_new_command"]


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
