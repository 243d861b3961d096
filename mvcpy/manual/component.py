"""The docs component: ``[docs]``, mvcpy's documentation at ``/-/docs/`` in development,
and ``mvcpy docs``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from mvcpy.components import Command, CommandContext, Component, Setup
from mvcpy.config.section import Section
from mvcpy.context import Context  # read at run time: the route handlers' annotation

if TYPE_CHECKING:
    from mvcpy.manual.pages import Manual

__all__ = ["DocsComponent", "DocsSettings"]


class DocsSettings(Section):
    """``[docs]``: mvcpy's documentation served by the app (docs/running.md)."""

    #: serve it; unset: in development only (``debug`` on)
    enabled: bool | None = None
    #: where
    path: str = "/-/docs"


def add_routes(setup: Setup, base: str) -> None:
    """``base/`` (the index, and ``?q=`` searches) and ``base/PAGE``."""
    from mvcpy.manual.pages import Manual
    from mvcpy.openapi import undocumented

    manual = Manual()

    @undocumented
    def index(ctx: Context) -> Any:
        return _page(manual, base, None, ctx.request.query.get("q", ""))

    @undocumented
    def page(ctx: Context, name: str) -> Any:
        return _page(manual, base, name, "")

    setup.route("GET", base + "/", index, name="manual.index")
    setup.route("GET", base + "/{name}", page, name="manual.page")


def _page(manual: Manual, base: str, name: str | None, query: str) -> Any:
    from mvcpy import __version__
    from mvcpy.error_handling import page_environment
    from mvcpy.errors import HTTPError
    from mvcpy.http.response import HTMLResponse

    body = manual.render(name, base) if name is not None else None
    if name is not None and body is None:
        raise HTTPError(404, f"no page {name!r} in mvcpy's documentation")
    html = (
        page_environment()
        .get_template("manual.html")
        .render(
            version=__version__,
            base=base,
            pages=list(manual.pages.values()),
            current=manual.pages.get(name) if name else None,
            body=body,
            query=query,
            hits=manual.search(query) if query else [],
        )
    )
    return HTMLResponse(html)


def configure_docs(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``mvcpy docs``."""
    from mvcpy._help import examples

    parser.add_argument("page", nargs="?", help="print this page's file (routing, views...)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8100, help="port (default 8100)")
    for key, value in examples(
        "mvcpy docs                # http://127.0.0.1:8100/, with search",
        "mvcpy docs routing        # the file of the routing page",
        "mvcpy docs --port 9000",
    ).items():
        setattr(parser, key, value)


def run_docs(context: CommandContext) -> int:
    """Serve the documentation, or print the file of one page."""
    from mvcpy.manual.pages import Manual

    args = context.args
    manual = Manual()
    if args.page:
        path = manual.path(args.page.removesuffix(".md"))
        if path is None:
            print(f"no page {args.page!r}; the pages: {', '.join(manual.pages)}", file=sys.stderr)
            return 1
        print(path)
        return 0
    import uvicorn

    from mvcpy import App

    app = App(
        root_path=manual.directory,
        env="dev",
        config={"docs": {"enabled": True, "path": ""}, "logging": {"configure": False}},
    )
    print(f"mvcpy's documentation: http://{args.host}:{args.port}/ (Ctrl+C stops)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


class DocsComponent(Component):
    """Serve the installed mvcpy's documentation, with search, at ``[docs] path``.

    On by default in development, so that a new project's start page links to the
    documentation of the very version it runs; off in production.
    """

    name = "docs"
    sections = {"docs": DocsSettings}
    commands = (
        Command(
            "docs",
            "read mvcpy's documentation offline: serve it, or print a page's file",
            run_docs,
            configure_docs,
            description="The documentation of the installed mvcpy, served on a local port "
            "with search; `mvcpy docs PAGE` prints the page's file instead.",
        ),
    )

    def install(self, setup: Setup) -> None:
        """Route the pages when enabled; publish ``manual_url`` (``None`` when off)."""
        settings = setup.settings(DocsSettings)
        enabled = setup.debug if settings.enabled is None else settings.enabled
        if not enabled:
            setup.template_global("manual_url", None)
            return
        add_routes(setup, settings.path.rstrip("/"))
        setup.template_global("manual_url", setup.url_for("manual.index"))
