"""Turn exceptions into responses: user handlers by type or status, then the default pages.

Errors render as JSON for clients that do not ask for HTML (API clients, ``curl``) and
as an HTML page for browsers. In debug an unexpected exception shows the development
page with the traceback, the request and the matched route; otherwise a plain 500 page,
and the traceback goes to the log, never to the client.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Generator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import jinja2

from mvcpy._resources import resource_dir
from mvcpy.debug_frames import frames_of, template_excerpt
from mvcpy.errors import HTTPError
from mvcpy.http.negotiation import parse_accept, prefers_xml
from mvcpy.http.request import ClientDisconnected, Request
from mvcpy.http.response import HTMLResponse, JSONResponse, Response
from mvcpy.http.xml import XMLResponse
from mvcpy.results import to_response
from mvcpy.templating import RECORD_EXTENSION
from mvcpy.translation import active_locale, gettext, install_gettext
from mvcpy.types import QUERIES_KEY

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import Endpoint

__all__ = [
    "ErrorGuard",
    "ErrorHandler",
    "ErrorHandlers",
    "handle_error",
    "handle_error_sync",
    "page_environment",
    "render_default_error",
    "wants_json",
]

logger = logging.getLogger("mvcpy.errors")

ErrorHandler = Callable[["Context", BaseException], Any]
_SENSITIVE_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}


class ErrorHandlers:
    """Error handlers of one app or namespace, by exception type and by status code."""

    __slots__ = ("by_status", "by_type")

    def __init__(self) -> None:
        self.by_status: dict[int, ErrorHandler] = {}
        self.by_type: dict[type[BaseException], ErrorHandler] = {}

    def __bool__(self) -> bool:
        return bool(self.by_status or self.by_type)

    def register(self, key: int | type[BaseException], handler: ErrorHandler) -> None:
        """Handle errors with status ``key`` (int) or of exception class ``key``."""
        if isinstance(key, int):
            self.by_status[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self.by_type[key] = handler
        else:
            raise TypeError("error handlers take an HTTP status (int) or an exception class")

    def find(self, exc: BaseException) -> ErrorHandler | None:
        """Return the handler for ``exc``: by status first for HTTP errors, then by class."""
        status = exc.status if isinstance(exc, HTTPError) else 500
        handler = self.by_status.get(status) if isinstance(exc, HTTPError) else None
        if handler is not None:
            return handler
        for cls in type(exc).__mro__:
            handler = self.by_type.get(cls)
            if handler is not None:
                return handler
        if not isinstance(exc, HTTPError):
            return self.by_status.get(500)
        return None


def wants_json(request: Request) -> bool:
    """Tell whether the client prefers JSON: anyone who does not explicitly accept HTML."""
    accept = request.headers.get("accept", "")
    if "text/html" not in accept and "application/xhtml+xml" not in accept:
        return True
    html_q = json_q = -1.0
    for media, q in parse_accept(accept):
        if media in ("text/html", "application/xhtml+xml"):
            html_q = max(html_q, q)
        elif media == "application/json":
            json_q = max(json_q, q)
    return json_q > html_q


_pages: jinja2.Environment | None = None


def page_environment() -> jinja2.Environment:
    """The Jinja environment of mvcpy's own pages (``static/pages``: errors, debug, docs)."""
    global _pages
    if _pages is None:
        _pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(resource_dir("static") / "pages")),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
        )
        install_gettext(_pages)
    return _pages


def _reason(status: int) -> str:
    try:
        return gettext(HTTPStatus(status).phrase)  # the phrases are in mvcpy's catalogs
    except ValueError:
        return gettext("Error")


def _project_error_page(
    ctx: Context, status: int, message: str, request_id: str | None
) -> str | None:
    """Render the project's error page (``errors/<status>.html`` or ``errors/error.html``);
    ``None`` when it has none or it fails."""
    templates = ctx.app.templates
    name = f"errors/{status}.html"
    try:
        name = templates.error_template(status)
        if name is None:
            return None
        context = {
            "status": status,
            "reason": _reason(status),
            "message": message,
            "request_id": request_id,
        }
        html: str = templates.render(name, context, ctx)
        return html
    except Exception:
        logger.exception("The error page %s failed; using the built-in page", name)
        return None


def render_default_error(
    ctx: Context, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Render the built-in error response: JSON or a small HTML page."""
    request = ctx.request
    request_id = getattr(ctx, "request_id", None)
    message = gettext(message)  # mvcpy's own messages ("Not Found") are in its catalogs
    if wants_json(request):
        body: dict[str, Any] = {"status": status, "message": message}
        if request_id:
            body["request_id"] = request_id
        errors = getattr(ctx.error, "errors", None)  # ValidationError: one entry per field
        if isinstance(errors, list) and getattr(ctx.error, "status", None) == status:
            body["errors"] = errors
        if prefers_xml(request.headers.get("accept")):
            return XMLResponse(body, status, headers, root="error")
        return JSONResponse({"error": body}, status, headers)
    page = _project_error_page(ctx, status, message, request_id)
    if page is not None:
        return HTMLResponse(page, status, headers)
    html = (
        page_environment()
        .get_template("error.html")
        .render(
            status=status,
            reason=_reason(status),
            message=message,
            request_id=request_id,
            lang=active_locale().replace("_", "-"),
        )
    )
    return HTMLResponse(html, status, headers)


def render_debug_page(ctx: Context, exc: BaseException) -> Response:
    """Render the development error page (debug only)."""
    request = ctx.request
    headers = [
        (name, "(hidden)" if name in _SENSITIVE_HEADERS else value)
        for name, value in request.headers.items()
    ]
    html = (
        page_environment()
        .get_template("debug.html")
        .render(
            exc_type=type(exc).__name__,
            exc_message=str(exc),
            traceback="".join(traceback.format_exception(exc)),
            frames=frames_of(exc),
            template=template_excerpt(exc),
            request=request,
            headers=headers,
            route=ctx.route,
            params=ctx.params,
            queries=ctx.__dict__.get(QUERIES_KEY),
        )
    )
    return HTMLResponse(html, 500)


def _log_unexpected(ctx: Context, exc: Exception) -> None:
    if not isinstance(exc, HTTPError):
        logger.error(
            "Unhandled %s in %s %s (route %s)",
            type(exc).__name__,
            ctx.request.method,
            ctx.request.path,
            ctx.route_name,
            exc_info=exc,
        )


def _find_handler(exc: Exception, registries: tuple[ErrorHandlers, ...]) -> ErrorHandler | None:
    for registry in registries:
        handler = registry.find(exc)
        if handler is not None:
            return handler
    return None


def _from_handler(ctx: Context, exc: Exception, result: Any) -> Response:
    response = to_response(result)
    if response.status >= 500:
        # Answered, but still a server error: the traceback belongs in the log.
        _log_unexpected(ctx, exc)
    if isinstance(exc, HTTPError):
        for name, value in exc.headers.items():
            if response.get_header(name) is None:
                response.set_header(name, value)
    return response


def _default_answer(ctx: Context, exc: Exception, debug: bool) -> Response:
    if isinstance(exc, HTTPError):
        return render_default_error(ctx, exc.status, exc.message, exc.headers)
    _log_unexpected(ctx, exc)
    record = ctx.scope.get("extensions", {}).get(RECORD_EXTENSION)
    if record is not None:  # the test client re-raises what no handler answered
        record["exception"] = exc
    if debug and not wants_json(ctx.request):
        try:
            return render_debug_page(ctx, exc)
        except Exception:
            logger.exception("The debug page failed to render")
    message = f"{type(exc).__name__}: {exc}" if debug else "Internal Server Error"
    return render_default_error(ctx, 500, message)


def _answer(
    ctx: Context, exc: Exception, registries: tuple[ErrorHandlers, ...], debug: bool
) -> Generator[Awaitable[Any], Any, Response | None]:
    """The one way an error is answered, without I/O: yields the user handler's awaitable
    when it returns one (the caller awaits it, or runs it on the loop from a thread) and
    returns the response, or ``None`` when the client is gone."""
    if isinstance(exc, ClientDisconnected):
        return None
    ctx.error = exc
    handler = _find_handler(exc, registries)
    if handler is not None:
        try:
            result = handler(ctx, exc)
            if inspect.isawaitable(result):
                result = yield result
            return _from_handler(ctx, exc, result)
        except Exception as failure:
            logger.exception("Error handler %r failed", handler, exc_info=failure)
    return _default_answer(ctx, exc, debug)


async def handle_error(
    ctx: Context, exc: Exception, registries: tuple[ErrorHandlers, ...], debug: bool
) -> Response | None:
    """Answer ``exc``: the first matching user handler (innermost first), else the default.

    Returns ``None`` when the client is gone and nothing should be sent.
    """
    steps = _answer(ctx, exc, registries, debug)
    try:
        pending = next(steps)
        while True:
            try:
                value = await pending
            except Exception as failure:
                pending = steps.throw(failure)
            else:
                pending = steps.send(value)
    except StopIteration as done:
        answer: Response | None = done.value
        return answer


def handle_error_sync(
    ctx: Context, exc: Exception, registries: tuple[ErrorHandlers, ...], debug: bool
) -> Response | None:
    """Answer ``exc`` like :func:`handle_error`, from a worker thread.

    An async handler runs on the request's event loop while this thread waits.
    """
    steps = _answer(ctx, exc, registries, debug)
    try:
        pending = next(steps)
        while True:
            loop = ctx.request.loop
            assert loop is not None
            try:
                value = asyncio.run_coroutine_threadsafe(_await(pending), loop).result()
            except Exception as failure:
                pending = steps.throw(failure)
            else:
                pending = steps.send(value)
    except StopIteration as done:
        answer: Response | None = done.value
        return answer


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class ErrorGuard:
    """Wrap an endpoint so that its errors become responses inside the filter chain.

    Filters then see a 404 or 500 response from ``call_next`` (with ``ctx.error``
    set) instead of an exception; errors raised by filters themselves are answered
    by the app, through the same handlers.
    """

    __slots__ = ("debug", "endpoint", "is_sync", "registries")

    def __init__(
        self, endpoint: Endpoint, registries: tuple[ErrorHandlers, ...], debug: bool
    ) -> None:
        self.endpoint = endpoint
        self.registries = registries
        self.debug = debug
        self.is_sync = endpoint.is_sync

    def call_sync(self, ctx: Context) -> Response:
        """Run the endpoint on this thread; answer its errors."""
        try:
            return self.endpoint.call_sync(ctx)
        except Exception as exc:
            response = handle_error_sync(ctx, exc, self.registries, self.debug)
            if response is None:
                raise
            return response

    async def call_async(self, ctx: Context) -> Response:
        """Await the endpoint; answer its errors."""
        try:
            return await self.endpoint.call_async(ctx)
        except Exception as exc:
            response = await handle_error(ctx, exc, self.registries, self.debug)
            if response is None:
                raise
            return response
