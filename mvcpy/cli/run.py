"""``mvcpy run``: serve the app for development with uvicorn."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mvcpy._help import examples
from mvcpy._uvicorn import http_protocol, websocket_options
from mvcpy.cli.loader import add_app_option, app_spec, load_app

__all__ = ["add_run_command"]


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    spec = app_spec(args)
    app = load_app(spec)  # fail here, with our message, rather than inside uvicorn
    from mvcpy.config import ServerSettings
    from mvcpy.websocket import WebSocketSettings

    server = app.config.section_of(ServerSettings)
    host = args.host or server.host
    port = args.port or server.port
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
        http=http_protocol(),  # header and body timeouts against slow clients
        **websocket_options(app.config.section_of(WebSocketSettings)),
    )
    return 0


def add_run_command(commands: Any) -> None:
    """Add ``mvcpy run`` to the subcommands."""
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
    add_app_option(run)
    run.add_argument("--host", help="address to bind (default: [server] host, 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default: [server] port, 8000)")
    run.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="reload on code changes (default: on when debug)",
    )
    run.set_defaults(func=_run)
