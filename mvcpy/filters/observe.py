"""One app-wide filter that tells observers about each request: its route name, method,
status and duration (the metrics and the operations page both count with it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["UNMATCHED", "RequestObserver", "observe_requests"]

#: the route of requests that matched no route (404, 405...)
UNMATCHED = "<unmatched>"
#: methods told under their own name; any other is "OTHER", so that a client cannot make
#: keys without end by inventing methods
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SERVICE = "request_observer"

Done = Callable[[str, str, int, float], Any]


class RequestObserver:
    """App-wide: call ``started`` hooks when a request comes in, and ``done(route, method,
    status, seconds)`` hooks once it has its response (500 when the action raised)."""

    __slots__ = ("done", "finished", "started")

    def __init__(self) -> None:
        self.started: list[Callable[[], Any]] = []
        self.finished: list[Callable[[], Any]] = []
        self.done: list[Done] = []

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Time the request and tell the observers."""
        for hook in self.started:
            hook()
        start = time.perf_counter()
        status = 500
        try:
            response: Response = await call_next(ctx)
            status = response.status
            return response
        finally:
            for hook in self.finished:
                hook()
            route = ctx.route.name if ctx.route is not None else UNMATCHED
            method = ctx.request.method
            if method not in _METHODS:
                method = "OTHER"
            seconds = time.perf_counter() - start
            for observer in self.done:
                observer(route or UNMATCHED, method, status, seconds)

    def __repr__(self) -> str:
        return f"RequestObserver({len(self.done)} observer(s))"


def observe_requests(setup: Any) -> RequestObserver:
    """The app's :class:`RequestObserver`, added as an app-wide filter the first time a
    component asks for it (``setup``: the component's :class:`~mvcpy.components.Setup`)."""
    observer: RequestObserver | None = setup.get_service(_SERVICE)
    if observer is None:
        observer = RequestObserver()
        setup.service(_SERVICE, observer)
        setup.add_filter(observer)
    return observer
