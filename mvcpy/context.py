"""The request context handed to filters, function handlers and controllers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.http.request import Request, State
from mvcpy.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mvcpy.app import App
    from mvcpy.routing.router import Miss, Route

__all__ = ["Context"]


class Context:
    """Everything one request needs: the app, the request, the matched route and its params.

    ``ctx.state`` carries values between filters and the action. Users may attach
    their own attributes.
    """

    __slots__ = (
        "__dict__",
        "app",
        "error",
        "miss",
        "params",
        "receive",
        "request",
        "route",
        "scope",
        "send",
    )

    def __init__(
        self,
        app: App,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: Request,
        route: Route | None,
        params: dict[str, Any],
        miss: Miss | None = None,
    ) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self.send = send
        self.request = request
        self.route = route
        self.params = params
        self.miss = miss
        self.error: BaseException | None = None

    @property
    def state(self) -> State:
        """Values shared by the filters and the action for this request."""
        return self.request.state

    @property
    def route_name(self) -> str | None:
        """The matched route's name, or ``None`` when nothing matched."""
        route = self.route
        return route.name if route is not None else None

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of route ``name`` (``_external=True`` uses this request's host)."""
        return self.app.url_for(name, _request=self.request, **params)

    def __repr__(self) -> str:
        return f"<Context {self.request.method} {self.request.path} route={self.route_name!r}>"
