"""``mvcpy openapi``: print the app's OpenAPI 3.1 document."""

from __future__ import annotations

from typing import Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_from_args
from mvcpy.openapi import openapi_json

__all__ = ["add_openapi_command"]


def add_openapi_command(commands: Any) -> None:
    """Add ``mvcpy openapi`` to the command line's subcommands."""
    command = commands.add_parser(
        "openapi",
        help="print the app's OpenAPI 3.1 document as JSON",
        description="Print the OpenAPI 3.1 document of the app's routes as JSON.",
        **examples(
            "mvcpy openapi > openapi.json",
            "mvcpy openapi --app blog.app:app --title 'Blog API' --version 2.0.0",
        ),
    )
    add_app_option(command)
    command.add_argument("--title", help="the document's title (default: app_name)")
    command.add_argument("--version", default="0.1.0", help="the API's version")
    command.set_defaults(func=_cmd_openapi)


def _cmd_openapi(args: Any) -> int:
    app = app_from_args(args)
    app.start()
    print(openapi_json(app, title=args.title, version=args.version))
    return 0
