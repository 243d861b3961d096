"""Per-route numbers for the operations page: requests, errors, the last minute's rate and
latency percentiles, kept by each worker and added up across workers.

Latencies go into fixed, logarithmic buckets (about 12% wide, from 50 µs to 2 min), so
that the snapshots of several workers add up bucket by bucket and the percentiles of
the sum are read from it, within a bucket's width.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["BOUNDS", "RouteRow", "RouteTally", "merge"]

#: the upper bound of each latency bucket, in seconds (the last one catches the rest)
BOUNDS: tuple[float, ...] = tuple(0.00005 * 1.12**n for n in range(130))
_WINDOW = 60  # seconds of the "last minute" rate


class _Route:
    __slots__ = ("buckets", "client_errors", "count", "errors", "seconds", "total_time")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.client_errors = 0
        self.total_time = 0.0
        self.buckets: dict[int, int] = {}
        self.seconds: dict[int, int] = {}  # epoch second -> requests, the last minute only


class RouteTally:
    """This worker's numbers, by route name and method (``<unmatched>`` for misses)."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], _Route] = {}

    def record(self, route: str, method: str, status: int, duration: float) -> None:
        """Count one response."""
        entry = self._routes.get((route, method))
        if entry is None:
            entry = self._routes[(route, method)] = _Route()
        entry.count += 1
        if status >= 500:
            entry.errors += 1
        elif status >= 400:
            entry.client_errors += 1
        entry.total_time += duration
        bucket = min(bisect.bisect_left(BOUNDS, duration), len(BOUNDS) - 1)
        entry.buckets[bucket] = entry.buckets.get(bucket, 0) + 1
        now = int(time.time())
        entry.seconds[now] = entry.seconds.get(now, 0) + 1
        if len(entry.seconds) > _WINDOW + 5:
            for second in [s for s in entry.seconds if s <= now - _WINDOW]:
                del entry.seconds[second]

    def snapshot(self) -> list[dict[str, Any]]:
        """Plain data (JSON) that :func:`merge` adds up with other workers'."""
        since = int(time.time()) - _WINDOW
        return [
            {
                "route": route,
                "method": method,
                "count": entry.count,
                "errors": entry.errors,
                "client_errors": entry.client_errors,
                "total_time": entry.total_time,
                "buckets": {str(k): v for k, v in entry.buckets.items()},
                "last_minute": sum(n for s, n in entry.seconds.items() if s > since),
            }
            for (route, method), entry in list(self._routes.items())
        ]


@dataclass(frozen=True)
class RouteRow:
    """One route's numbers, all workers together."""

    route: str
    method: str
    count: int
    #: answers of 500 and above
    errors: int
    #: answers from 400 to 499
    client_errors: int
    #: requests a second over the last minute
    rate: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @property
    def error_rate(self) -> float:
        """The share of answers of 500 and above."""
        return self.errors / self.count if self.count else 0.0


def _percentile(buckets: dict[int, int], count: int, share: float) -> float:
    rank = max(1, math.ceil(share * count))
    seen = 0
    for index in sorted(buckets):
        seen += buckets[index]
        if seen >= rank:
            return BOUNDS[index] * 1000
    return 0.0


def merge(snapshots: Iterable[list[dict[str, Any]]]) -> list[RouteRow]:
    """Add up the snapshots of several workers: one row per route and method, the
    busiest first."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for snapshot in snapshots:
        for item in snapshot:
            key = (item["route"], item["method"])
            total = totals.setdefault(
                key,
                {"count": 0, "errors": 0, "client_errors": 0, "total_time": 0.0,
                 "last_minute": 0, "buckets": {}},
            )  # fmt: skip
            for name in ("count", "errors", "client_errors", "total_time", "last_minute"):
                total[name] += item[name]
            for index, n in item["buckets"].items():
                total["buckets"][int(index)] = total["buckets"].get(int(index), 0) + n
    rows = [
        RouteRow(
            route=route,
            method=method,
            count=t["count"],
            errors=t["errors"],
            client_errors=t["client_errors"],
            rate=t["last_minute"] / _WINDOW,
            mean_ms=t["total_time"] / t["count"] * 1000 if t["count"] else 0.0,
            p50_ms=_percentile(t["buckets"], t["count"], 0.50),
            p90_ms=_percentile(t["buckets"], t["count"], 0.90),
            p99_ms=_percentile(t["buckets"], t["count"], 0.99),
        )
        for (route, method), t in totals.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.route, row.method))
