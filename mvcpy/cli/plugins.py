"""The commands that components bring: found before the arguments are parsed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mvcpy.cli.loader import add_app_option, app_from_args, find_app_spec
from mvcpy.components import Command, discover
from mvcpy.config.loader import module_root, project_components
from mvcpy.errors import ConfigurationError
from mvcpy.loading import project_root

__all__ = ["add_component_commands"]


class _Context:
    """What a component's command receives (:class:`mvcpy.components.CommandContext`)."""

    __slots__ = ("args",)

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def load_app(self) -> Any:
        """Import and return the project's app (``--app``, ``MVCPY_APP`` or discovered)."""
        return app_from_args(self.args)


def _listed() -> list[str]:
    """The components the project in the working directory lists, if there is one.

    Read before the arguments are parsed, so nothing of the project is imported: the
    root is found by path, as ``load_app`` would import it from the working directory.
    """
    cwd = project_root(Path.cwd()) or Path.cwd()
    try:
        spec = find_app_spec(cwd)
    except ConfigurationError:
        return []
    parts = spec.split(":", 1)[0].split(".")
    module = cwd.joinpath(*parts)
    if module.with_suffix(".py").is_file():
        return project_components(module.parent)
    if (module / "__init__.py").is_file():
        return project_components(module)
    return project_components(module_root(spec))


def add_component_commands(commands: Any, taken: set[str]) -> None:
    """Add every installed component's commands; a name already taken is refused."""
    for component in discover(_listed()):
        for command in component.commands:
            if command.name in taken:
                raise ConfigurationError(
                    f"component {component.name!r} brings command {command.name!r}, "
                    "which another command already has"
                )
            taken.add(command.name)
            _add(commands, command)


def _add(commands: Any, command: Command) -> None:
    parser = commands.add_parser(
        command.name, help=command.help, description=command.description or command.help
    )
    add_app_option(parser)
    if command.configure is not None:
        command.configure(parser)
    parser.set_defaults(func=lambda args: command.run(_Context(args)))
