"""What each step of mvcpy's request path costs, timed alone (no profiler).

Uses the over-the-wire app (:mod:`benchmarks.apps.mvcpy_async`). Each step is timed with
``timeit`` (best of 7) or, for coroutines, with an awaited loop (best of 7). Steps
reach into mvcpy's internals (``Request``, ``Context``, ``route.handler``); when those
change shape a step reports ``n/a`` rather than failing the run.
"""

from __future__ import annotations

import asyncio
import time
import timeit
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.apps import mvcpy_async, raw_asgi
from benchmarks.apps.spec import ENDPOINTS
from benchmarks.common import markdown_table, new_event_loop
from benchmarks.driver import _discard, _receive, make_scope, start_lifespan

__all__ = ["StepsResult", "run"]


@dataclass
class StepsResult:
    """ns per step, ``None`` where the step could not be timed."""

    steps: list[tuple[str, float | None, str]]

    def markdown(self) -> str:
        """The steps as a markdown table."""
        rows = [
            [name, "n/a" if ns is None else f"{ns:,.0f}", note] for name, ns, note in self.steps
        ]
        return "Step costs on the over-the-wire app, unprofiled (best of 7):\n\n" + markdown_table(
            ["step", "ns", "note"], rows
        )


def _sync(fn: Callable[[], Any], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e9


async def _async(fn: Callable[[], Awaitable[Any]], number: int) -> float:
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(number):
            await fn()
        best = min(best, (time.perf_counter_ns() - start) / number)
    return best


async def _measure(number: int) -> StepsResult:
    from mvcpy.context import Context
    from mvcpy.http.request import Request
    from mvcpy.http.response import JSONResponse, PlainTextResponse

    app = mvcpy_async.app
    shutdowns = [await start_lifespan(app), await start_lifespan(raw_asgi.app)]
    table = app.route_table
    plain = make_scope(ENDPOINTS["plaintext"])
    param = make_scope(ENDPOINTS["param"])
    steps: list[tuple[str, float | None, str]] = []

    def step(name: str, fn: Callable[[], Any], note: str = "") -> None:
        try:
            fn()
            steps.append((name, _sync(fn, number), note))
        except Exception as exc:  # an internal API moved: report, do not fail
            steps.append((name, None, f"{type(exc).__name__}: {exc}"))

    async def astep(name: str, fn: Callable[[], Awaitable[Any]], note: str = "") -> None:
        try:
            await fn()
            steps.append((name, await _async(fn, number // 2), note))
        except Exception as exc:
            steps.append((name, None, f"{type(exc).__name__}: {exc}"))

    await astep(
        "whole request, raw ASGI, /plaintext", lambda: raw_asgi.app(dict(plain), _receive, _discard)
    )
    await astep("whole request, mvcpy, /plaintext", lambda: app(dict(plain), _receive, _discard))
    await astep(
        "whole request, raw ASGI, param", lambda: raw_asgi.app(dict(param), _receive, _discard)
    )
    await astep("whole request, mvcpy, param", lambda: app(dict(param), _receive, _discard))
    step("Router.match, static", lambda: table.match("GET", ENDPOINTS["plaintext"]))
    step("Router.match, 2 params", lambda: table.match("GET", ENDPOINTS["param"]))
    step("Request(scope, receive)", lambda: Request(plain, _receive))
    step(
        "Request(...).headers.get('content-type')",
        lambda: Request(plain, _receive).headers.get("content-type"),
        "parses every header on first use",
    )
    route, params, _ = table.match("GET", ENDPOINTS["plaintext"])
    request = Request(plain, _receive)
    step(
        "Context(...)",
        lambda: Context(app, plain, _receive, _discard, request, route, params, None),
    )
    step("PlainTextResponse(text)", lambda: PlainTextResponse("Hello, World!"))
    step("JSONResponse(dict)", lambda: JSONResponse({"message": "Hello, World!"}))
    response = PlainTextResponse("Hello, World!")
    await astep("Response.__call__ (two sends)", lambda: response(plain, _receive, _discard))

    def fresh_ctx(scope: dict[str, Any]) -> Any:
        found, values, _ = table.match("GET", scope["path"])
        return found, Context(
            app, scope, _receive, _discard, Request(scope, _receive), found, values, None
        )

    for label, scope in (("/plaintext", plain), ("param", param)):
        found, _ = fresh_ctx(scope)
        await astep(
            f"route.handler(ctx), {label}",
            lambda f=found, s=scope: f.handler(fresh_ctx(s)[1]),
            "includes a fresh match, Request and Context (above)",
        )
    for shutdown in shutdowns:
        await shutdown()
    return StepsResult(steps)


def run(quick: bool = False) -> StepsResult:
    """Time each step; ``quick`` uses fewer calls."""
    loop = new_event_loop()
    try:
        return loop.run_until_complete(_measure(5_000 if quick else 50_000))
    finally:
        loop.close()


if __name__ == "__main__":
    asyncio.set_event_loop(None)
    print(run(quick=True).markdown())
