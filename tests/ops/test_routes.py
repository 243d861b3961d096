"""The per-route numbers: counted per worker, added up across workers, percentiles read
from the buckets within a bucket's width."""

from __future__ import annotations

import json

import pytest

from mvcpy.ops.routes import RouteTally, merge


def test_percentiles_and_errors_of_one_worker() -> None:
    tally = RouteTally()
    for n in range(1, 101):  # 1 ms .. 100 ms
        tally.record("items.show", "GET", 200, n / 1000)
    tally.record("items.show", "GET", 500, 0.001)
    tally.record("items.show", "GET", 404, 0.001)
    (row,) = merge([tally.snapshot()])
    assert (row.route, row.method, row.count, row.errors, row.client_errors) == (
        "items.show", "GET", 102, 1, 1,
    )  # fmt: skip
    assert row.p50_ms == pytest.approx(50, rel=0.13)
    assert row.p90_ms == pytest.approx(90, rel=0.13)
    assert row.p99_ms == pytest.approx(99, rel=0.13)
    assert row.mean_ms == pytest.approx((5050 + 2) / 102, rel=0.01)
    assert row.error_rate == pytest.approx(1 / 102)
    assert row.rate == pytest.approx(102 / 60)  # all of them in the last minute


def test_workers_add_up_route_by_route() -> None:
    fast, slow = RouteTally(), RouteTally()
    for _ in range(90):
        fast.record("home", "GET", 200, 0.002)
    for _ in range(10):
        slow.record("home", "GET", 200, 0.200)
    slow.record("items.create", "POST", 201, 0.010)
    # as the board passes them: through JSON files
    snapshots = [json.loads(json.dumps(t.snapshot())) for t in (fast, slow)]
    home, create = merge(snapshots)
    assert (home.route, home.count, create.route, create.count) == ("home", 100, "items.create", 1)
    assert home.p50_ms == pytest.approx(2, rel=0.13)
    assert home.p99_ms == pytest.approx(200, rel=0.13)  # the slow worker's tail shows


def test_nothing_counted_is_nothing_shown() -> None:
    assert merge([RouteTally().snapshot(), []]) == []
