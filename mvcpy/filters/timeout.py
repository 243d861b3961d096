"""Timeouts: answer on time when an action runs too long."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["Timeout"]

logger = logging.getLogger("mvcpy.errors")


class Timeout:
    """Answer ``status`` (503) when the rest of the chain takes longer than ``seconds``.

    An async action is cancelled at the limit (``CancelledError`` is raised at its
    current ``await``, so ``finally`` blocks and ``async with`` clean up). A sync
    action runs on a worker thread, which Python cannot stop: the client is answered
    on time, the thread runs to its end and its result is discarded.
    """

    __slots__ = ("message", "seconds", "status")

    def __init__(
        self,
        seconds: float,
        status: int = 503,
        message: str = "The server took too long to answer this request",
    ) -> None:
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        self.seconds = seconds
        self.status = status
        self.message = message

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Run the chain with a deadline."""
        try:
            async with asyncio.timeout(self.seconds):
                response: Response = await call_next(ctx)
                return response
        except TimeoutError:
            logger.warning(
                "%s %s (route %s) ran past its %ss limit",
                ctx.request.method,
                ctx.request.path,
                ctx.route_name,
                self.seconds,
            )
            return await answer_error(ctx, HTTPError(self.status, self.message))

    def __repr__(self) -> str:
        return f"Timeout({self.seconds})"
