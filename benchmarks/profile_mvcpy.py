"""Where mvcpy's time goes: cProfile over in-process requests, and the gap to raw ASGI.

Two apps are profiled: the over-the-wire app (:mod:`benchmarks.apps.mvcpy_async`, no
filters) and the gocraft/web scenario (:mod:`benchmarks.scenario`, six filters). Each
endpoint is driven in process; the profiles of the three endpoints are summed and the
functions with the most self time (``tottime``) are listed. cProfile inflates every
Python call alike, so read the shares, not the absolute microseconds; the unprofiled
per-request times beside raw ASGI give the real scale.
"""

from __future__ import annotations

import cProfile
import pstats
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.apps import mvcpy_async, raw_asgi
from benchmarks.apps.spec import ENDPOINTS
from benchmarks.common import REPO_ROOT, markdown_table, median, new_event_loop
from benchmarks.driver import ASGIApp, start_lifespan, time_requests_ns
from benchmarks.scenario import ENDPOINTS as SCENARIO_ENDPOINTS
from benchmarks.scenario import build_mvcpy, build_raw

__all__ = ["ProfileResult", "run"]

TOP = 15


@dataclass
class Hotspot:
    """One function's summed profile: calls and self/cumulative seconds."""

    where: str
    calls: int
    tottime: float
    cumtime: float


@dataclass
class AppProfile:
    """The profile of one app over its three endpoints, and the unprofiled timings."""

    title: str
    requests: int
    total: float
    hotspots: list[Hotspot]
    timings: dict[str, tuple[float, float]]  # endpoint -> (mvcpy µs, raw µs)

    def markdown(self) -> str:
        """The timings beside raw ASGI, then the top functions by self time."""
        timing_rows = [
            [endpoint, f"{ours:.2f}", f"{raw:.2f}", f"{ours - raw:.2f}", f"{ours / raw:.2f}x"]
            for endpoint, (ours, raw) in self.timings.items()
        ]
        timing = markdown_table(
            ["endpoint", "mvcpy µs", "raw ASGI µs", "gap µs", "x raw"], timing_rows
        )
        rows = [
            [
                h.where,
                f"{h.calls / self.requests:.1f}",
                f"{100 * h.tottime / self.total:.1f}%",
                f"{100 * h.cumtime / self.total:.1f}%",
            ]
            for h in self.hotspots
        ]
        table = markdown_table(["function", "calls/request", "self %", "cumulative %"], rows)
        return (
            f"**{self.title}**\n\nUnprofiled, median of 5 x in-process requests:\n\n{timing}\n\n"
            f"cProfile, {self.requests:,} requests over the three endpoints, top {TOP} by "
            f"self time (share of all profiled time):\n\n{table}"
        )


@dataclass
class ProfileResult:
    """The profiles of both apps."""

    apps: list[AppProfile]

    def markdown(self) -> str:
        """Both profiles as markdown."""
        return "\n\n".join(app.markdown() for app in self.apps)


def _where(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":
        return function
    path = Path(filename)
    try:
        shown = str(path.relative_to(REPO_ROOT))
    except ValueError:
        shown = "/".join(path.parts[-2:])
    return f"{shown}:{line} {function}"


def _hotspots(stats: pstats.Stats) -> tuple[float, list[Hotspot]]:
    raw: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in raw.values())
    spots = [
        Hotspot(_where(key), nc, tt, ct)
        for key, (_, nc, tt, ct, _) in raw.items()
        if "benchmarks" not in key[0] and "asyncio" not in key[0] and key[2] != "<module>"
    ]
    spots.sort(key=lambda h: h.tottime, reverse=True)
    return total, spots[:TOP]


async def _profile_app(
    title: str, app: ASGIApp, raw: ASGIApp, paths: dict[str, str], requests: int
) -> AppProfile:
    shutdowns = [await start_lifespan(app), await start_lifespan(raw)]
    timings: dict[str, tuple[float, float]] = {}
    for endpoint, path in paths.items():
        await time_requests_ns(app, path, 500)
        await time_requests_ns(raw, path, 500)
        ours = [await time_requests_ns(app, path, requests) for _ in range(5)]
        theirs = [await time_requests_ns(raw, path, requests) for _ in range(5)]
        timings[endpoint] = (median(ours) / 1000, median(theirs) / 1000)
    profiler = cProfile.Profile()
    for path in paths.values():
        profiler.enable()
        await time_requests_ns(app, path, requests)
        profiler.disable()
    for shutdown in shutdowns:
        await shutdown()
    total, spots = _hotspots(pstats.Stats(profiler))
    return AppProfile(title, requests * len(paths), total, spots, timings)


async def _profile_all(requests: int) -> ProfileResult:
    wire = await _profile_app(
        "Over-the-wire app (`benchmarks/apps/mvcpy_async.py`, 103 routes, no filters)",
        mvcpy_async.app,
        raw_asgi.app,
        ENDPOINTS,
        requests,
    )
    scenario = await _profile_app(
        "gocraft/web scenario (`benchmarks/scenario.py`, 163 routes, 6 filters)",
        build_mvcpy(),
        build_raw(),
        SCENARIO_ENDPOINTS,
        requests,
    )
    return ProfileResult([wire, scenario])


def run(quick: bool = False) -> ProfileResult:
    """Profile both apps; ``quick`` uses fewer requests."""
    loop = new_event_loop()
    try:
        return loop.run_until_complete(_profile_all(3_000 if quick else 20_000))
    finally:
        loop.close()


if __name__ == "__main__":
    print(run(quick=True).markdown())
