"""``mvcpy routes``: list the routes, or explain where a path goes."""

from __future__ import annotations

import argparse
from typing import Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_from_args

__all__ = ["add_routes_command"]


def _routes(args: argparse.Namespace) -> int:
    app = app_from_args(args)
    app.start()
    if args.explain:
        method = args.method.upper()
        for line in app.route_table.explain(method, args.explain, args.host):
            print(line)
        route, _, miss = app.route_table.match(method, args.explain, args.host)
        # Exit 1 when no route answers (a redirect to one counts as answering), for scripts.
        return 0 if route is not None or (miss is not None and miss.location) else 1
    rows = [("METHODS", "PATH", "NAME", "TARGET", "FILTERS")]
    for route in app.route_table.iter_routes():
        path = (route.host.pattern if route.host else "") + route.pattern
        if route.when is not None:
            path += f" [when {route.when.describe()}]"
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


def add_routes_command(commands: Any) -> None:
    """Add ``mvcpy routes`` to the subcommands."""
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
    add_app_option(routes)
    routes.add_argument("--explain", metavar="PATH", help="show the candidates tried for PATH")
    routes.add_argument("--method", default="GET", help="HTTP method for --explain (default GET)")
    routes.add_argument("--host", help="Host for --explain when routes are bound to hosts")
    routes.set_defaults(func=_routes)
