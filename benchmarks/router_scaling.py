"""Router scaling: ``app.route_table.match(method, path)`` with 10, 1,000 and 10,000 routes.

Each app holds the two measured routes plus filler resources: ``/api/rN``,
``/api/rN/new``, ``/api/rN/{id}`` and ``/api/rN/{id}/edit`` (half static, half with a
parameter), and every tenth resource also under ``/api/users/{id:int}/rN`` so the
measured parameter route's own nodes fan out as the app grows. Sizes are timed in
turn within each run (in a rotating order), and the median of the runs is reported with
the ratio to 10 routes.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

from benchmarks.common import markdown_table, median, time_per_call_ns

__all__ = ["CASES", "SIZES", "ScalingResult", "build_app", "run"]

SIZES = (10, 1_000, 10_000)
#: Case -> (route pattern, request path).
CASES = {
    "param route": ("/api/users/{id:int}/posts/{slug}", "/api/users/123/posts/hello-world"),
    "static route": ("/api/status/health", "/api/status/health"),
}
TARGET = 1.3


def _handler(ctx: Any) -> str:
    return "ok"


def build_app(size: int) -> Any:
    """Return a started mvcpy app with exactly ``size`` routes."""
    from mvcpy import App

    app = App(__name__, env="prod", config={"secret_key": "benchmark-" + "x" * 32})
    paths: list[str] = []
    i = 0
    while len(paths) < size - len(CASES):
        name = f"r{i}"
        paths += [f"/api/{name}", f"/api/{name}/new", f"/api/{name}/{{id}}"]
        paths += [f"/api/{name}/{{id}}/edit"]
        if i % 10 == 0:
            paths.append(f"/api/users/{{id:int}}/{name}")
        i += 1
    for path in paths[: size - len(CASES)]:
        app.get(path, _handler)
    for pattern, _ in CASES.values():
        app.get(pattern, _handler)
    app.start()
    assert len(app.route_table.routes) == size
    return app


@dataclass
class ScalingResult:
    """Median ns per match by (size, case), and the samples."""

    samples: dict[tuple[int, str], list[float]]
    iterations: int
    repeats: int

    def ns(self, size: int, case: str) -> float:
        """Median ns per match."""
        return median(self.samples[(size, case)])

    def ratio(self, size: int, case: str) -> float:
        """Median at ``size`` over the median at the smallest size."""
        return self.ns(size, case) / self.ns(SIZES[0], case)

    def markdown(self) -> str:
        """The result as a markdown table."""
        headers = ["routes"]
        for case in CASES:
            headers += [f"{case} ns/match", f"x {SIZES[0]} routes", "min ns"]
        rows = []
        for size in SIZES:
            row: list[object] = [f"{size:,}"]
            for case in CASES:
                row += [
                    f"{self.ns(size, case):,.0f}",
                    f"{self.ratio(size, case):.2f}x",
                    f"{min(self.samples[(size, case)]):,.0f}",
                ]
            rows.append(row)
        title = (
            f"Router match, `app.route_table.match('GET', path)`: median of {self.repeats} "
            f"runs x {self.iterations:,} matches (target: {SIZES[-1]:,} routes within "
            f"{TARGET}x of {SIZES[0]})"
        )
        return f"{title}\n\n{markdown_table(headers, rows)}"


def run(quick: bool = False) -> ScalingResult:
    """Build the apps, check the matches, then time them."""
    # Many short interleaved runs: on a noisy machine their median is steadier than a few long ones.
    iterations = 20_000 if quick else 50_000
    repeats = 9 if quick else 25
    apps = {size: build_app(size) for size in SIZES}
    for size, app in apps.items():
        for pattern, path in CASES.values():
            route, _, miss = app.route_table.match("GET", path)
            if route is None or route.pattern != pattern:
                raise RuntimeError(f"{size} routes: {path} matched {route or miss}")
    # The big route tables are long-lived: keep the cyclic GC from rescanning them mid-run.
    gc.collect()
    gc.freeze()
    samples: dict[tuple[int, str], list[float]] = {}
    for index in range(repeats):
        order = list(apps.items())
        order = order[index % len(order) :] + order[: index % len(order)]
        for case, (_, path) in CASES.items():
            for size, app in order:
                match = app.route_table.match
                ns = time_per_call_ns(lambda m=match, p=path: m("GET", p), iterations)
                samples.setdefault((size, case), []).append(ns)
    gc.unfreeze()
    return ScalingResult(samples, iterations, repeats)


if __name__ == "__main__":
    print(run(quick=True).markdown())
