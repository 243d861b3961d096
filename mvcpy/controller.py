"""Beego-style controllers: one instance per request; ``prepare``, action, ``finish``, render."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import re
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, TypeVar

from markupsafe import Markup

from mvcpy.binding import Binder, _to_bool, _to_float, _to_int, load_body, model_reader
from mvcpy.di import Container, Provider, attribute_injections, inject_async, inject_sync
from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.http.datastructures import MultiDict
from mvcpy.http.files import FileResponse
from mvcpy.http.negotiation import choose
from mvcpy.http.response import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from mvcpy.http.sse import EventSourceResponse
from mvcpy.http.xml import XMLResponse
from mvcpy.redirects import is_route_name
from mvcpy.results import to_response

if TYPE_CHECKING:
    from pydantic import BaseModel

    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.http.request import Request
    from mvcpy.orm.session import AsyncDbSession, DbSession
    from mvcpy.orm.sql import AsyncSql, Sql
    from mvcpy.sessions.session import Session

__all__ = ["HTTP_METHOD_ACTIONS", "Controller", "ControllerEndpoint", "parse_mapping"]

_M = TypeVar("_M", bound="BaseModel")

HTTP_METHOD_ACTIONS = ("get", "post", "put", "patch", "delete", "head", "options")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_EMPTY: MultiDict[Any] = MultiDict()
_NEGOTIABLE = ("application/json", "application/xml", "text/xml")
_NEGOTIABLE_HTML = (*_NEGOTIABLE, "text/html")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def controller_name(cls: type) -> str:
    """Return the snake_case name of a controller class without its ``Controller`` suffix."""
    name = cls.__name__
    if name.endswith("Controller") and name != "Controller":
        name = name[: -len("Controller")]
    return _CAMEL.sub("_", name).lower()


class Controller:
    """Base class for controllers.

    Per request the framework creates one instance, calls ``prepare()``, binds the
    action's arguments, calls the action, calls ``finish()`` (even when the action
    raised) and turns the result into a response: a ``Response`` as is, a dict or list
    as JSON, a ``str`` as HTML, and ``None`` renders ``self.tpl_name`` or, by
    convention, ``<controller>/<action>.html`` with ``self.data``.
    """

    __slots__ = (
        "_cookies",
        "_headers",
        "action_name",
        "app",
        "ctx",
        "data",
        "layout",
        "layout_sections",
        "params",
        "request",
        "tpl_name",
    )

    #: snake_case name used for templates (``posts`` for ``PostsController``).
    name: ClassVar[str] = "controller"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = controller_name(cls)

    def __init__(self, ctx: Context, action_name: str = "") -> None:
        self.ctx = ctx
        self.request: Request = ctx.request
        self.params: dict[str, Any] = ctx.params
        self.app: Application = ctx.app
        self.data: dict[str, Any] = {}
        self.tpl_name: str | None = None
        #: the base template the page extends (``{% extends layout %}``); Beego's Layout
        self.layout: str | None = None
        #: section name -> template, rendered into ``sections``; Beego's LayoutSections
        self.layout_sections: dict[str, str] | None = None
        self.action_name = action_name
        self._headers: list[tuple[str, str]] | None = None
        self._cookies: list[tuple[str, dict[str, Any]]] | None = None

    # -- lifecycle hooks (override; ``def`` or ``async def``) -------------------------
    def prepare(self) -> Any:
        """Run before every action; return a response (or redirect, or abort) to end early."""
        return None

    def finish(self) -> Any:
        """Run after every action, even one that raised."""
        return None

    # -- input ------------------------------------------------------------------------
    def _form(self) -> MultiDict[Any]:
        request = self.request
        form = request.form_loaded
        if form is None:
            if request.content_type not in _FORM_TYPES:
                return _EMPTY
            form = request.read_form()
        return form

    def _raw(self, key: str) -> str | None:
        form = self._form()
        value = form.get(key)
        if isinstance(value, str):
            return value
        return self.request.query.get(key)

    def get_string(self, key: str, default: str = "") -> str:
        """Return form or query value ``key`` (the form wins), or ``default``."""
        value = self._raw(key)
        return default if value is None else value

    def get_strings(self, key: str) -> list[str]:
        """Return every form and query value of ``key``."""
        values = [v for v in self._form().getlist(key) if isinstance(v, str)]
        return values + self.request.query.getlist(key)

    def _typed(self, key: str, default: Any, parse: Callable[[str], Any], what: str) -> Any:
        raw = self._raw(key)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except ValueError:
            raise HTTPError(400, f"Parameter {key!r} must be {what}, got {raw!r}") from None

    def bind(self, model: type[_M]) -> _M:
        """Validate the body (JSON or a form, by content type) into ``model``.

        Raises :class:`~mvcpy.binding.ValidationError` (422, per-field ``errors``),
        which an action may catch to re-render its form.
        """
        return model_reader(model).from_request(self.request)  # type: ignore[no-any-return]

    async def bind_async(self, model: type[_M]) -> _M:
        """Read the body, then :meth:`bind` it (for ``async def`` actions)."""
        await load_body(self.request)
        return self.bind(model)

    def bind_json(self, model: type[_M]) -> _M:
        """Validate the JSON body into ``model`` whatever the content type says."""
        request = self.request
        body = request._body if request._body is not None else request.read_body()
        return model_reader(model).from_json(body)  # type: ignore[no-any-return]

    def bind_form(self, model: type[_M]) -> _M:
        """Validate the submitted form into ``model`` (repeated keys fill list fields)."""
        return model_reader(model).from_multidict(self._form(), "body")  # type: ignore[no-any-return]

    def bind_query(self, model: type[_M]) -> _M:
        """Validate the query string into ``model``."""
        return model_reader(model).from_multidict(self.request.query, "query")  # type: ignore[no-any-return]

    def get_int(self, key: str, default: int | None = None) -> Any:
        """Return ``key`` as an int, ``default`` when absent; 400 when it is not an integer."""
        return self._typed(key, default, _to_int, "an integer")

    def get_float(self, key: str, default: float | None = None) -> Any:
        """Return ``key`` as a float, ``default`` when absent; 400 when it is not a number."""
        return self._typed(key, default, _to_float, "a number")

    def get_bool(self, key: str, default: bool | None = None) -> Any:
        """Return ``key`` as a bool (true/false, 1/0, yes/no, on/off); 400 otherwise."""
        return self._typed(key, default, _to_bool, "a boolean")

    # -- output -----------------------------------------------------------------------
    def json(self, obj: Any, status: int = 200) -> JSONResponse:
        """Answer ``obj`` as JSON."""
        return JSONResponse(obj, status)

    def text(self, text: str, status: int = 200) -> PlainTextResponse:
        """Answer plain text."""
        return PlainTextResponse(text, status)

    def html(self, html: str, status: int = 200) -> HTMLResponse:
        """Answer an HTML string as is."""
        return HTMLResponse(html, status)

    def xml(self, obj: Any, status: int = 200, root: str = "response") -> XMLResponse:
        """Answer ``obj`` as XML (dicts as elements, lists as repeated ``<item>``)."""
        return XMLResponse(obj, status, root=root)

    def negotiate(self, data: Any, html: str | None = None, status: int = 200) -> Response:
        """Answer ``data`` as JSON, XML or the ``html`` template, as ``Accept`` prefers; 406.

        The template gets ``self.data`` plus ``data`` (a dict) or ``data=data``.
        """
        offered = _NEGOTIABLE_HTML if html is not None else _NEGOTIABLE
        chosen = choose(self.request.headers.get("accept"), offered)
        if chosen is None:
            raise HTTPError(406, f"Not acceptable; this resource offers {', '.join(offered)}")
        if chosen == "application/json":
            return JSONResponse(data, status)
        if chosen == "text/html":
            extra = data if isinstance(data, dict) else {"data": data}
            return self.render(html, status, **extra)
        return XMLResponse(data, status, media_type=chosen)

    def send_file(
        self,
        path: str | os.PathLike[str],
        filename: str | None = None,
        attachment: bool = False,
        media_type: str | None = None,
    ) -> FileResponse:
        """Send a file (ETag, 304, byte ranges, chunked); 404 when it does not exist."""
        return FileResponse(path, filename, attachment, media_type)

    def event_stream(self, source: Any, ping: float | None = 15.0) -> EventSourceResponse:
        """Stream server-sent events from ``source`` (given ``Last-Event-ID`` if it takes one).

        A string is a hub room: the client receives what ``app.hub.broadcast(room, ...)``
        and ``push_fragment`` send to it, from any worker, like WebSocket subscribers do.
        """
        if isinstance(source, str):
            source = self.app.hub.stream(source)
        return EventSourceResponse(source, ping, self.request.headers.get("last-event-id"))

    def template_name(self) -> str:
        """Return the template to render: ``self.tpl_name`` or ``<controller>/<action>.html``."""
        return self.tpl_name or f"{self.name}/{self.action_name}.html"

    def template_context(self, data: dict[str, Any]) -> dict[str, Any]:
        """Return the template context: ``self.data``, ``data``, ``layout`` and ``sections``."""
        context = {**self.data, **data} if data else self.data
        if self.layout is None and self.layout_sections is None:
            return context
        context = dict(context)
        if self.layout is not None:
            context["layout"] = self.layout
        if self.layout_sections:
            render = self.app.templates.render
            context["sections"] = {
                name: Markup(render(tpl, context, self.ctx))
                for name, tpl in self.layout_sections.items()
            }
        return context

    def render_string(self, tpl: str | None = None, **data: Any) -> str:
        """Render a template to a string with ``self.data`` plus ``data``."""
        context = self.template_context(data)
        html: str = self.app.templates.render(tpl or self.template_name(), context, self.ctx)
        return html

    def render(self, tpl: str | None = None, status: int = 200, **data: Any) -> HTMLResponse:
        """Render a template (``self.tpl_name`` or the convention) into an HTML response."""
        return HTMLResponse(self.render_string(tpl, **data), status)

    def stream_template(
        self, tpl: str | None = None, status: int = 200, **data: Any
    ) -> StreamingResponse:
        """Stream a large page chunk by chunk as it renders (errors end the connection)."""
        chunks = self.app.templates.stream(
            tpl or self.template_name(), self.template_context(data), self.ctx
        )
        return StreamingResponse(chunks, status, media_type="text/html; charset=utf-8")

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of route ``name``."""
        return self.ctx.url_for(name, **params)

    def redirect(self, target: str, status: int = 302, **params: Any) -> RedirectResponse:
        """Redirect to a route name with ``params`` (``posts.show``), or to a URL: a path
        on this site, or an http(s) URL on this host or an ``[auth] redirect_hosts`` one.

        Any other target (``javascript:``, ``//host``...) is a 400 saying why
        (mvcpy.redirects), so ``redirect(user_input)`` cannot send users elsewhere.
        """
        if is_route_name(target):
            return RedirectResponse(self.url_for(target, **params), status)
        from mvcpy.auth import check_redirect  # the allowed hosts are [auth]'s

        check_redirect(self.ctx, target)
        return RedirectResponse(target, status)

    @property
    def session(self) -> Session:
        """This request's session: a dict loaded on first use, saved with the response."""
        return self.ctx.session

    @property
    def current_user(self) -> Any:
        """The logged-in user (``app.user_loader``), loaded once per request, or ``None``."""
        from mvcpy.auth import current_user

        return current_user(self.ctx)

    def login(self, user: Any, *, remember: bool = True) -> None:
        """Log ``user`` (or its id) in under a new session id, after checking the password;
        ``remember=False``: the session ends when the browser closes."""
        from mvcpy.auth import login

        login(self.ctx, user, remember=remember)

    def authorize(self, permission: str | None = None, *, owner_of: Any = None) -> Any:
        """Return the user when it holds ``permission`` or owns ``owner_of``; else 401
        (nobody) or 403: ``self.authorize("posts.edit", owner_of=post)``."""
        from mvcpy.auth import authorize

        return authorize(self.ctx, permission, owner_of=owner_of)

    def logout(self) -> None:
        """Log the user out and destroy the session."""
        from mvcpy.auth import logout

        logout(self.ctx)

    def flash(self, message: str, category: str = "info") -> None:
        """Queue ``message`` for the next page (read with ``get_flashed_messages()``)."""
        self.ctx.session.flash(message, category)

    def get_flashed_messages(
        self, with_categories: bool = False, category_filter: tuple[str, ...] = ()
    ) -> list[Any]:
        """Return (once) the flashed messages, as (category, message) pairs if asked."""
        return self.ctx.session.get_flashed_messages(with_categories, category_filter)

    @property
    def db(self) -> DbSession:
        """This request's database session: opened on first use, committed after the action."""
        return self.ctx.db

    @property
    def adb(self) -> AsyncDbSession:
        """This request's async database session, for ``async def`` actions."""
        return self.ctx.adb

    @property
    def sql(self) -> Sql:
        """Run compiled statements (:class:`mvcpy.orm.Statement`) in this request's
        transaction, straight on the driver: the fast path beside ``self.db``."""
        return self.ctx.sql

    @property
    def asql(self) -> AsyncSql:
        """``self.sql`` for ``async def`` actions, awaited."""
        return self.ctx.asql

    @property
    def cache(self) -> Any:
        """The app's cache (:class:`mvcpy.cache.Cache`): ``get``/``set`` in sync actions,
        ``aget``/``aset`` in async ones; ``@cached`` actions use it."""
        return self.app.services["cache"]

    def abort(self, status: int, message: str | None = None) -> NoReturn:
        """Stop here and answer ``status`` with ``message``."""
        raise HTTPError(status, message)

    def set_header(self, name: str, value: str) -> None:
        """Set a header on whatever response this request ends with."""
        if self._headers is None:
            self._headers = []
        self._headers.append((name, value))

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Set a cookie on whatever response this request ends with."""
        if self._cookies is None:
            self._cookies = []
        self._cookies.append(
            (
                key,
                {
                    "value": value,
                    "max_age": max_age,
                    "path": path,
                    "domain": domain,
                    "secure": secure,
                    "httponly": httponly,
                    "samesite": samesite,
                },
            )
        )

    def delete_cookie(self, key: str, path: str = "/", domain: str | None = None) -> None:
        """Tell the client to drop cookie ``key``."""
        self.set_cookie(key, "", max_age=0, path=path, domain=domain)

    def to_response(self, result: Any) -> Response:
        """Apply the return conventions and the pending headers and cookies."""
        if result is None:
            response: Response = self.render()
        else:
            response = to_response(result)
        return self._decorate(response)

    async def to_response_async(self, result: Any) -> Response:
        """Like :meth:`to_response`, rendering without holding the event loop for long."""
        if result is None:
            html = await self.app.templates.render_async(
                self.template_name(), self.template_context({}), self.ctx
            )
            return self._decorate(HTMLResponse(html))
        return self._decorate(to_response(result))

    def _decorate(self, response: Response) -> Response:
        if self._headers is not None:
            for name, value in self._headers:
                response.set_header(name, value)
        if self._cookies is not None:
            for key, options in self._cookies:
                response.set_cookie(key, **options)
        return response


def parse_mapping(controller: type[Controller], mapping: str | None, label: str) -> dict[str, str]:
    """Turn ``"get:index;post:create"`` (or the class's HTTP-verb methods) into method -> action."""
    result: dict[str, str] = {}
    if mapping is None:
        for method in HTTP_METHOD_ACTIONS:
            if callable(getattr(controller, method, None)):
                result[method.upper()] = method
        if not result:
            raise ConfigurationError(
                f"{label}: {controller.__name__} has none of the methods "
                f"{', '.join(HTTP_METHOD_ACTIONS)}; give a mapping like 'get:index'"
            )
        return result
    for rule in mapping.split(";"):
        rule = rule.strip()
        if not rule:
            continue
        methods, sep, action = rule.partition(":")
        action = action.strip()
        if not sep or not action or not methods.strip():
            raise ConfigurationError(f"{label}: bad mapping rule {rule!r}; expected 'get:action'")
        target = getattr(controller, action, None)
        if not callable(target) or action.startswith("_"):
            raise ConfigurationError(
                f"{label}: mapping {rule!r} names {controller.__name__}.{action}, "
                "which does not exist"
            )
        for method in methods.split(","):
            method = method.strip().upper()
            if method != "*" and not method.isalpha():
                raise ConfigurationError(f"{label}: bad HTTP method {method!r} in {rule!r}")
            if method in result:
                raise ConfigurationError(f"{label}: method {method} is mapped twice in {mapping!r}")
            result[method] = action
    if not result:
        raise ConfigurationError(f"{label}: empty mapping {mapping!r}")
    return result


def _overrides(cls: type, name: str) -> Callable[..., Any] | None:
    function = getattr(cls, name)
    return None if function is getattr(Controller, name) else function


class ControllerEndpoint:
    """A controller action bound to a route: the lifecycle, compiled once at startup."""

    __slots__ = (
        "action",
        "action_name",
        "async_parts",
        "binder",
        "cls",
        "direct",
        "executor",
        "finish",
        "inject",
        "is_sync",
        "label",
        "prepare",
    )

    def __init__(
        self, cls: type[Controller], action_name: str, path_params: set[str], label: str
    ) -> None:
        self.cls = cls
        self.label = label
        self.inject: tuple[tuple[str, Provider], ...] = ()  # set by resolve() at startup
        self.action_name = action_name
        self.action: Callable[..., Any] = getattr(cls, action_name)
        self.binder = Binder(self.action, path_params, label)
        self.prepare = _overrides(cls, "prepare")
        self.finish = _overrides(cls, "finish")
        parts = [p for p in (self.action, self.prepare, self.finish) if p is not None]
        self.async_parts = frozenset(p for p in parts if inspect.iscoroutinefunction(p))
        self.is_sync = not self.async_parts
        # PERF: an async action without prepare/finish needs no lifecycle bookkeeping.
        self.direct = self.prepare is None and self.finish is None and not self.is_sync
        self.executor: Executor | None = None  # the app's worker pool, set at startup

    def resolve(self, container: Container) -> None:
        """Resolve injected parameters and annotated class attributes (at startup)."""
        self.binder.resolve(container)
        self.inject = attribute_injections(self.cls, Controller, container, self.label)

    def call_sync(self, ctx: Context) -> Response:
        """Run the whole lifecycle on this (worker) thread."""
        controller = self.cls(ctx, self.action_name)
        if self.inject:
            inject_sync(controller, self.inject, ctx)
        try:
            result = self.prepare(controller) if self.prepare is not None else None
            if result is None:
                binder = self.binder
                if binder.empty:
                    result = self.action(controller)
                else:
                    result = self.action(controller, **binder.bind(ctx))
        finally:
            if self.finish is not None:
                self.finish(controller)
        return controller.to_response(result)

    async def call_async(self, ctx: Context) -> Response:
        """Run the lifecycle on the loop; sync hooks of a mixed controller run in the pool."""
        request = ctx.request
        if request.scope["method"] in _BODY_METHODS and request.content_type in _FORM_TYPES:
            await request.form()  # get_string() and friends read it without awaiting
        controller = self.cls(ctx, self.action_name)
        if self.inject:
            await inject_async(controller, self.inject, ctx)
        if self.binder.needs_load:
            await self.binder.load(ctx)
        if not self.direct:
            return await self._lifecycle(ctx, controller)
        binder = self.binder
        if binder.empty:
            result = await self.action(controller)
        else:
            result = await self.action(controller, **binder.bind(ctx))
        if result is not None:  # nothing to render: no coroutine for the conversion
            return controller.to_response(result)
        return await controller.to_response_async(result)

    async def _lifecycle(self, ctx: Context, controller: Controller) -> Response:
        try:
            result = None
            if self.prepare is not None:
                result = await self._call(ctx, self.prepare, controller)
            if result is None:
                kwargs = self.binder.bind(ctx) if not self.binder.empty else {}
                result = await self._call(ctx, self.action, controller, **kwargs)
        finally:
            if self.finish is not None:
                await self._call(ctx, self.finish, controller)
        return await controller.to_response_async(result)

    async def _call(self, ctx: Context, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn in self.async_parts:
            return await fn(*args, **kwargs)
        # A sync hook in a controller that is otherwise async: keep it off the loop.
        loop = asyncio.get_running_loop()
        ctx.request.loop = loop
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
