"""In-process cost per request: the ASGI app called directly, no server, no sockets.

The gocraft/web scenario of :mod:`benchmarks.scenario` (163 routes, six pass-through
filters, three nested namespaces) for mvcpy, Starlette, Litestar and raw ASGI. Every
framework and endpoint is timed over many requests; that is repeated (frameworks
interleaved) and the median is reported with its ratio to raw ASGI.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from benchmarks.common import markdown_table, median, new_event_loop
from benchmarks.driver import ASGIApp, call_once, start_lifespan, time_requests_ns
from benchmarks.scenario import BUILDERS, ENDPOINTS, EXPECTED, ROUTE_COUNT

__all__ = ["InProcessResult", "run"]

BASELINE = "raw ASGI"


@dataclass
class InProcessResult:
    """Median microseconds per request, by framework and endpoint, and the samples."""

    samples: dict[tuple[str, str], list[float]]
    iterations: int
    repeats: int

    def us(self, framework: str, endpoint: str) -> float:
        """Median µs per request."""
        return median(self.samples[(framework, endpoint)]) / 1000

    def markdown(self) -> str:
        """The result as a markdown table: µs/request and ratio to raw ASGI."""
        headers = ["framework"]
        for endpoint in ENDPOINTS:
            headers += [f"{endpoint} µs", "x raw"]
        rows = []
        for framework in BUILDERS:
            row: list[object] = [framework]
            for endpoint in ENDPOINTS:
                us = self.us(framework, endpoint)
                row += [f"{us:.2f}", f"{us / self.us(BASELINE, endpoint):.2f}x"]
            rows.append(row)
        title = (
            f"In-process, {ROUTE_COUNT} routes, 6 filters, 3 nested namespaces: median of "
            f"{self.repeats} runs x {self.iterations:,} requests (lower is better)"
        )
        return f"{title}\n\n{markdown_table(headers, rows)}"


async def _check(apps: dict[str, ASGIApp]) -> None:
    for framework, app in apps.items():
        for endpoint, path in ENDPOINTS.items():
            got = await call_once(app, path)
            if got.status != 200 or got.body != EXPECTED[endpoint]:
                raise RuntimeError(
                    f"{framework} {path}: got {got.status} {got.body!r}, "
                    f"expected 200 {EXPECTED[endpoint]!r}"
                )


async def _measure(iterations: int, repeats: int) -> InProcessResult:
    apps = {name: build() for name, build in BUILDERS.items()}
    shutdowns = [await start_lifespan(app) for app in apps.values()]
    await _check(apps)
    warmup = max(200, iterations // 10)
    for app in apps.values():
        for path in ENDPOINTS.values():
            await time_requests_ns(app, path, warmup)
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for endpoint, path in ENDPOINTS.items():
            for framework, app in apps.items():
                ns = await time_requests_ns(app, path, iterations)
                samples.setdefault((framework, endpoint), []).append(ns)
    for shutdown in shutdowns:
        await shutdown()
    return InProcessResult(samples, iterations, repeats)


def run(quick: bool = False) -> InProcessResult:
    """Measure every framework and endpoint; ``quick`` uses fewer requests per run."""
    iterations = 3_000 if quick else 20_000
    loop = new_event_loop()
    try:
        return loop.run_until_complete(_measure(iterations, repeats=5))
    finally:
        loop.close()


if __name__ == "__main__":
    asyncio.set_event_loop(None)
    print(run(quick=True).markdown())
