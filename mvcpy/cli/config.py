"""``mvcpy config``: print the effective settings, secrets masked (``--json`` for machines)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_from_args
from mvcpy.config import ENVIRONMENTS, Config

__all__ = ["add_config_command", "format_settings"]


def format_settings(config: Config) -> str:
    """Return the settings as TOML-like text: top-level keys, then one table a section."""
    data = config.as_dict()
    source = str(config.source) if config.source is not None else "no conf/app.toml"
    lines = [f"# effective settings for env {config.env!r} ({source}); secrets masked"]
    sections = {k: v for k, v in data.items() if k in config.sections}
    for key, value in data.items():
        if key not in sections:
            lines.append(_line(key, value))
    for name, values in sections.items():
        lines.append(f"\n[{name}]")
        lines.extend(_line(key, value) for key, value in values.items())
    return "\n".join(lines)


def _line(key: str, value: Any) -> str:
    if value is None:
        return f"# {key}: unset"
    return f"{key} = {json.dumps(value)}"


def _config(args: argparse.Namespace) -> int:
    if args.env:
        os.environ["MVCPY_ENV"] = args.env
    app = app_from_args(args)
    if args.json:
        print(json.dumps({"env": app.env, "settings": app.config.as_dict()}, indent=2))
    else:
        print(format_settings(app.config))
    return 0


def add_config_command(commands: Any) -> None:
    """Add ``mvcpy config`` to the subcommands."""
    command = commands.add_parser(
        "config",
        help="print the effective settings (secrets masked)",
        description="Print every setting as the app sees it in the current environment "
        "(MVCPY_ENV, or --env): defaults, conf/app.toml, MVCPY_* variables, with secret "
        "keys and the passwords in URLs masked.",
        **examples(
            "mvcpy config",
            "mvcpy config --env prod",
            "mvcpy config --json | jq .settings.database",
        ),
    )
    add_app_option(command)
    command.add_argument("--env", choices=ENVIRONMENTS, help="the environment (MVCPY_ENV)")
    command.add_argument("--json", action="store_true", help="print JSON for machines")
    command.set_defaults(func=_config)
