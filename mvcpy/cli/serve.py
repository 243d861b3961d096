"""``mvcpy serve``: production serving, gunicorn with the project's ``gunicorn.conf.py``.

The command runs in the project's directory. It loads the app as production builds it,
runs the readiness checks of ``mvcpy check`` (refusing to start on a fatal failure, such
as the default secret key or a database behind its migrations), then replaces itself
with ``python -m gunicorn -c gunicorn.conf.py [flags] APP``: the process that
systemd or a container runtime started becomes gunicorn's master, so signals (SIGTERM:
finish the requests in flight, then exit) and the exit status are gunicorn's own.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_spec
from mvcpy.config import ENVIRONMENTS
from mvcpy.errors import ConfigurationError

__all__ = ["CONFIG_FILE", "add_serve_command", "gunicorn_argv"]

#: The gunicorn settings file that ``mvcpy new`` writes into the project directory.
CONFIG_FILE = "gunicorn.conf.py"


def gunicorn_argv(
    config: Path, app_spec: str, workers: int | None, binds: list[str], extra: list[str]
) -> list[str]:
    """Return the gunicorn command line for the project (flags override the config file)."""
    argv = [sys.executable, "-m", "gunicorn", "--config", str(config)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    for bind in binds:
        argv += ["--bind", bind]
    return [*argv, *extra, app_spec]


def _config_file(args: argparse.Namespace) -> Path:
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ConfigurationError(f"--config {args.config}: no such file")
        return path.resolve()
    path = Path.cwd() / CONFIG_FILE
    if not path.is_file():
        raise ConfigurationError(
            f"no {CONFIG_FILE} in {Path.cwd()}: run mvcpy serve in the project's directory "
            "(the one mvcpy new wrote), or pass --config FILE"
        )
    return path


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _cmd_serve(args: argparse.Namespace) -> int:
    from mvcpy.cli.check import load_for_env, print_results
    from mvcpy.readiness import run_checks

    stray = [arg for arg in args.gunicorn_args if not arg.startswith("-")][:1]
    if stray and stray[0] == args.gunicorn_args[0]:
        raise ConfigurationError(
            f"unexpected argument {stray[0]!r}: name the app with --app, and put gunicorn's "
            "options after -- (mvcpy serve -- --max-requests 1000)"
        )
    config = _config_file(args)
    spec = app_spec(args)
    args.app = spec
    if args.check:
        app = load_for_env(args)
        results = run_checks(app)
        problems = [result for result in results if result.failed]
        if problems:
            print_results(problems, sys.stderr)
        fatal = [result.name for result in problems if result.fatal]
        if fatal:
            print(
                f"mvcpy serve: not serving {spec} in {app.env}: {', '.join(fatal)} failed; "
                "fix them (mvcpy check) or pass --no-check",
                file=sys.stderr,
            )
            return 1
    else:
        os.environ["MVCPY_ENV"] = args.env
    argv = gunicorn_argv(config, spec, args.workers, args.bind or [], args.gunicorn_args)
    print(f"mvcpy serve: {' '.join(argv[1:])} (MVCPY_ENV={args.env})", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return


def add_serve_command(commands: Any) -> None:
    """Add ``mvcpy serve`` to the ``mvcpy`` command's subcommands."""
    serve = commands.add_parser(
        "serve",
        help="serve in production: gunicorn with the project's gunicorn.conf.py",
        description="Serve the app with gunicorn and the project's gunicorn.conf.py "
        "(uvicorn workers), after the readiness checks of `mvcpy check`: a fatal failure "
        "(default secret key, database behind its migrations, templates that do not "
        "compile) refuses to start, other failures are printed. Run it in the project's "
        "directory; MVCPY_ENV is prod unless --env says otherwise. Options after -- go to "
        "gunicorn as they are.",
        **examples(
            "MVCPY_SECRET_KEY=... mvcpy serve",
            "mvcpy serve --workers 4 --bind 0.0.0.0:8000",
            "mvcpy serve --bind unix:/run/blog.sock -- --max-requests 1000",
        ),
    )
    add_app_option(serve)
    serve.add_argument("-c", "--config", help=f"gunicorn settings file (default: ./{CONFIG_FILE})")
    serve.add_argument(
        "-w", "--workers", type=_positive, help="worker processes (default: the config file's)"
    )
    serve.add_argument(
        "-b",
        "--bind",
        action="append",
        metavar="ADDRESS",
        help="HOST:PORT or unix:PATH to listen on; repeatable (default: the config file's)",
    )
    serve.add_argument(
        "--env", choices=ENVIRONMENTS, default="prod", help="the configuration to serve (prod)"
    )
    serve.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the readiness checks first (default: on)",
    )
    serve.add_argument(
        "gunicorn_args", nargs="*", metavar="-- GUNICORN_OPTION", help="passed to gunicorn"
    )
    serve.set_defaults(func=_cmd_serve)
