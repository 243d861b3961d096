"""The ``mvcpy`` command: ``run``, ``routes`` and ``version`` here; the others register
themselves from their modules (``serve``, ``check``, ``db``, ``shell``, ``templates``,
``openapi``, ``new``). Every command's ``--help`` ends with examples."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mvcpy._help import examples
from mvcpy._uvicorn import websocket_options
from mvcpy.errors import ConfigurationError
from mvcpy.generate import add_generate_command
from mvcpy.migrate import add_commands as add_db_commands
from mvcpy.openapi import add_openapi_command
from mvcpy.project import add_new_command
from mvcpy.readiness import add_check_command
from mvcpy.serve import add_serve_command
from mvcpy.views.commands import add_view_commands

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["find_app_spec", "load_app", "main"]

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


def _cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    spec = args.app or find_app_spec(Path.cwd())
    app = load_app(spec)  # fail here, with our message, rather than inside uvicorn
    server = app.config.section("server")
    host = args.host or server.get("host", "127.0.0.1")
    port = args.port or int(server.get("port", 8000))
    reload = app.debug if args.reload is None else args.reload
    uvicorn.run(
        spec,
        host=host,
        port=port,
        reload=reload,
        reload_dirs=[str(Path.cwd())] if reload else None,
        reload_includes=["*.py", "*.toml"] if reload else None,
        log_level="info",
        proxy_headers=False,  # forwarding headers are the trusted-proxies filter's job
        **websocket_options(app.config),
    )
    return 0


def _cmd_routes(args: argparse.Namespace) -> int:
    app = load_app(args.app or find_app_spec(Path.cwd()))
    app.start()
    if args.explain:
        for line in app.route_table.explain(args.method.upper(), args.explain, args.host):
            print(line)
        return 0
    rows = [("METHODS", "PATH", "NAME", "TARGET", "FILTERS")]
    for route in app.route_table.iter_routes():
        path = (route.host.pattern if route.host else "") + route.pattern
        filters = " > ".join(getattr(f, "__name__", type(f).__name__) for f in route.filters)
        rows.append(
            (",".join(sorted(route.methods)), path, route.name, route.target, filters or "-")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    for label, winner, sample in app.route_table.shadowed():
        print(f"warning: {label} can never match ({sample} goes to {winner})")
    return 0


def _cmd_version(args: argparse.Namespace) -> int:
    from mvcpy import __version__

    print(f"mvcpy {__version__} (Python {sys.version.split()[0]})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``mvcpy`` command."""
    parser = argparse.ArgumentParser(
        prog="mvcpy",
        description="The mvcpy web framework. `mvcpy COMMAND --help` shows a command's options.",
        **examples(
            "mvcpy new blog && cd blog && mvcpy db upgrade && mvcpy run",
            "mvcpy check && mvcpy serve",
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="serve the app for development (uvicorn, auto-reload in dev)",
        description="Serve the app with uvicorn for development, reloading on code changes "
        "when debug is on. Production: mvcpy serve.",
        **examples(
            "mvcpy run",
            "mvcpy run --app blog.app:app --host 0.0.0.0 --port 8080",
            "MVCPY_ENV=prod MVCPY_SECRET_KEY=... mvcpy run --no-reload",
        ),
    )
    run.add_argument("--app", help="module:attribute of the app (default: discovered)")
    run.add_argument("--host", help="address to bind (default: [server] host, 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default: [server] port, 8000)")
    run.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="reload on code changes (default: on when debug)",
    )
    run.set_defaults(func=_cmd_run)

    routes = commands.add_parser(
        "routes",
        help="list the routes, or explain which route a path goes to",
        description="List every route (methods, path, name, target, filters), or show "
        "which route a request would go to and why.",
        **examples(
            "mvcpy routes",
            "mvcpy routes --explain /users/new --method GET",
            "mvcpy routes --app blog.app:app --explain /admin --host admin.example.com",
        ),
    )
    routes.add_argument("--app", help="module:attribute of the app (default: discovered)")
    routes.add_argument("--explain", metavar="PATH", help="show the candidates tried for PATH")
    routes.add_argument("--method", default="GET", help="HTTP method for --explain (default GET)")
    routes.add_argument("--host", help="Host for --explain when routes are bound to hosts")
    routes.set_defaults(func=_cmd_routes)

    version = commands.add_parser(
        "version",
        help="print the mvcpy version",
        description="Print the versions of mvcpy and Python.",
        **examples("mvcpy version"),
    )
    version.set_defaults(func=_cmd_version)
    add_serve_command(commands)  # serve (gunicorn)
    add_check_command(commands)  # check (production readiness), check urls
    add_view_commands(commands)  # templates check
    add_db_commands(commands)  # db init|revision|upgrade|..., shell
    add_openapi_command(commands)  # openapi
    add_new_command(commands)  # new NAME [--api]
    add_generate_command(commands)  # generate controller|model|migration|scaffold
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mvcpy`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigurationError as exc:
        print(f"mvcpy: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
