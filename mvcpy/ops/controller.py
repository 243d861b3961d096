"""The operations pages: the dashboard (routes, health, database pools, the hub, jobs),
the effective settings with secrets masked, and a profile of the worker on demand. Each
is HTML for a person and JSON for a machine (``Accept: application/json`` or
``?format=json``)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from typing import Any, ClassVar

from mvcpy.controller import Controller
from mvcpy.errors import HTTPError
from mvcpy.http.response import PlainTextResponse, Response
from mvcpy.ops.board import WorkerBoard
from mvcpy.ops.profiler import sample
from mvcpy.ops.routes import RouteTally, merge

__all__ = ["OpsController", "OpsPages", "pool_stats"]


def pool_stats(database: Any) -> dict[str, Any] | None:
    """This worker's database pool: its kind, size, connections checked out and overflow."""
    if database is None:
        return None
    pool = database.engine.pool
    numbers: dict[str, Any] = {"kind": type(pool).__name__}
    for key, method in (("size", "size"), ("checked_out", "checkedout"), ("overflow", "overflow")):
        read: Callable[[], int] | None = getattr(pool, method, None)
        numbers[key] = read() if callable(read) else None
    if numbers["overflow"] is not None:  # negative while the pool is not yet full
        numbers["overflow"] = max(0, numbers["overflow"])
    return numbers


class OpsPages:
    """What the pages read: this worker's tally, the board of every worker's snapshots,
    the health checks, the services and the settings."""

    def __init__(
        self,
        *,
        tally: RouteTally,
        board: WorkerBoard,
        health: Any,
        services: Any,
        config: Any,
        layout: str,
        profile_max_seconds: float,
    ) -> None:
        self.tally = tally
        self.board = board
        self.health = health
        self.services = services
        self.config = config
        self.layout = layout
        self.profile_max_seconds = profile_max_seconds
        self.profiling = asyncio.Lock()

    def collect(self) -> dict[str, Any]:
        """This worker's snapshot: its routes, its pool, its hub and WebSocket numbers."""
        hub = self.services.built("hub")
        websockets = self.services.built("websockets")
        return {
            "routes": self.tally.snapshot(),
            "pool": pool_stats(self.services.built("database")),
            "hub": hub.stats() if hub is not None else None,
            "websockets": websockets.count if websockets is not None else 0,
        }

    async def overview(self, app: Any) -> dict[str, Any]:
        """Everything the dashboard shows, every worker of this machine added up."""
        snapshots = self.board.snapshots()
        rooms: dict[str, int] = {}
        connections = published = delivered = 0
        for snapshot in snapshots:
            hub = snapshot.get("hub") or {}
            connections += hub.get("connections", 0)
            published += hub.get("published", 0)
            delivered += hub.get("delivered", 0)
            for room, members in hub.get("rooms", {}).items():
                rooms[room] = rooms.get(room, 0) + members
        jobs = self.services.get("jobs") if "jobs" in self.services else None
        return {
            "worker": os.getpid(),
            "workers": [
                {
                    "pid": s["pid"],
                    "requests": sum(r["count"] for r in s["routes"]),
                    "pool": s.get("pool"),
                    "websockets": s.get("websockets", 0),
                }
                for s in snapshots
            ],
            "routes": [
                {**dataclasses.asdict(row), "error_rate": row.error_rate}
                for row in merge(s["routes"] for s in snapshots)
            ],
            "health": await self.health.results(app),
            "hub": {
                "connections": connections,
                "rooms": dict(sorted(rooms.items())),
                "published": published,
                "delivered": delivered,
            },
            "jobs": await jobs.overview() if jobs is not None and jobs.jobs else None,
        }


class OpsController(Controller):
    """The pages; the component routes a subclass bound to its :class:`OpsPages`."""

    pages: ClassVar[OpsPages]

    def _wants_json(self) -> bool:
        if self.get_string("format") == "json":
            return True
        accept = self.request.headers.get("accept", "")
        return "application/json" in accept and "text/html" not in accept

    def _page(self, template: str, title: str, data: dict[str, Any]) -> Response:
        if self._wants_json():
            return self.json(data)
        return self.render(template, title=title, ops_layout=self.pages.layout, **data)

    async def index(self) -> Response:
        """The dashboard."""
        return self._page("ops/index.html", "Operations", await self.pages.overview(self.ctx.app))

    def settings(self) -> Response:
        """The effective settings, secrets masked."""
        config = self.pages.config
        return self._page(
            "ops/settings.html",
            "Settings",
            {"env": config.env, "settings": config.as_dict(mask_secrets=True)},
        )

    async def profile(self) -> Response:
        """Sample this worker's threads for ``?seconds=`` (5 by default) and answer the
        report (``?format=collapsed``: the stacks, for flame graph tools)."""
        seconds = self.get_float("seconds", 5.0)
        limit = self.pages.profile_max_seconds
        if not 0 < seconds <= limit:
            raise HTTPError(400, f"seconds must be above 0 and at most {limit:g}")
        lock = self.pages.profiling
        if lock.locked():
            raise HTTPError(409, "this worker is being profiled already: try again shortly")
        async with lock:
            result = await asyncio.to_thread(sample, seconds)
        if self.get_string("format") == "collapsed":
            return PlainTextResponse(result.collapsed())
        own, total = result.top()
        return self._page(
            "ops/profile.html",
            "Profile",
            {
                "worker": os.getpid(),
                "seconds": seconds,
                "samples": result.samples,
                "own": own,
                "total": total,
                "thread_samples": sum(result.stacks.values()) or 1,
                "text": result.text(),
            },
        )
