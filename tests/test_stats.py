"""Route stats: one report per request, after the response, with filter and action times."""

from __future__ import annotations

import time
from typing import Any

from mvcpy import Controller
from mvcpy.stats import RouteStat
from mvcpy.testing import TestClient


def test_route_stats_report_route_status_size_and_timings(make_app: Any) -> None:
    stats: list[RouteStat] = []

    async def slow_filter(ctx: Any, call_next: Any) -> Any:
        time.sleep(0.02)
        ctx.request_id = "req-1"
        return await call_next(ctx)

    def sync_filter(ctx: Any, call_next: Any) -> Any:
        if ctx.request.query.get("stop"):
            from mvcpy import PlainTextResponse

            return PlainTextResponse("stopped", 403)
        return call_next(ctx)

    class Pages(Controller):
        def show(self, id: int) -> Any:
            time.sleep(0.1)
            return {"id": id}

    app = make_app()
    app.use(slow_filter)
    app.use(sync_filter)
    app.router("/pages/{id:int}", Pages, "get:show", name="pages.show")
    app.on_request_complete(stats.append)

    async def async_callback(stat: RouteStat) -> None:
        stats.append(stat)

    app.on_request_complete(async_callback)
    with TestClient(app) as client:
        assert client.get("/pages/7").json() == {"id": 7}
        assert len(stats) == 2 and stats[0] is stats[1]
        stat = stats[0]
        assert (stat.method, stat.path, stat.pattern, stat.route_name, stat.status) == (
            "GET",
            "/pages/7",
            "/pages/{id:int}",
            "pages.show",
            200,
        )
        assert stat.response_size == len(b'{"id":7}')
        assert stat.request_id == "req-1"
        names = [name for name, _ in stat.filters]
        assert names[0].endswith("slow_filter") and names[1].endswith("sync_filter")
        assert stat.filters[0][1] >= 0.02
        assert stat.action is not None and stat.action >= 0.1
        assert stat.filters[0][1] < 0.1  # its own time, without the action's 0.1 s
        assert stat.duration >= stat.action + stat.filters[0][1]
        stats.clear()
        assert client.get("/pages/7?stop=1").status_code == 403
        assert stats[0].action is None
        assert stats[0].response_size == len(b"stopped")
        stats.clear()
        assert client.get("/nowhere").status_code == 404
        assert stats[0].pattern is None and stats[0].status == 404


def test_a_failing_callback_does_not_break_requests(make_app: Any) -> None:
    def broken(stat: RouteStat) -> None:
        raise RuntimeError("stats backend down")

    app = make_app()
    app.get("/ok", lambda ctx: {"ok": True})
    app.on_request_complete(broken)
    with TestClient(app) as client:
        assert client.get("/ok").json() == {"ok": True}
