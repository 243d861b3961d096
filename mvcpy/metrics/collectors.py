"""The metrics mvcpy keeps, and their exposition (prometheus-client).

Under gunicorn, each worker process writes its values to files in the directory named
by ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode, chosen when the
variable is set before the workers start), and a scrape of any worker reads every
worker's files: the numbers add up across workers. Without the variable, a process's
own values are served.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["NAMES", "Metrics"]

#: every metric mvcpy exports, with its labels (documented in docs/operations.md)
NAMES = {
    "mvcpy_http_requests_total": ("route", "method", "status"),
    "mvcpy_http_request_duration_seconds": ("route", "method"),
    "mvcpy_http_requests_in_progress": (),
    "mvcpy_db_connections_in_use": (),
    "mvcpy_jobs_total": ("job", "outcome"),
    "mvcpy_job_duration_seconds": ("job",),
    "mvcpy_websocket_connections": (),
    "mvcpy_hub_messages_total": ("event",),
}

_pool_lock = threading.Lock()
_pool_gauges: list[Any] = []


def _listen_to_pools() -> None:
    """Count pooled database connections checked out, in every engine of the process."""
    from sqlalchemy.pool import Pool

    from mvcpy.orm.events import listen_once

    def checkout(*_: Any) -> None:
        for gauge in _pool_gauges:
            gauge.inc()

    def checkin(*_: Any) -> None:
        for gauge in _pool_gauges:
            gauge.dec()

    listen_once("mvcpy.metrics", Pool, {"checkout": checkout, "checkin": checkin})


class Metrics:
    """One app's metrics, in a registry of their own."""

    def __init__(self, buckets: Sequence[float]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "mvcpy_http_requests",
            "HTTP requests answered, by route name, method and status",
            NAMES["mvcpy_http_requests_total"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "mvcpy_http_request_duration_seconds",
            "Time from the request to its response, by route name and method",
            NAMES["mvcpy_http_request_duration_seconds"],
            buckets=tuple(buckets),
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "mvcpy_http_requests_in_progress",
            "HTTP requests being answered",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.db_in_use = Gauge(
            "mvcpy_db_connections_in_use",
            "Pooled database connections checked out",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.jobs = Counter(
            "mvcpy_jobs",
            "Jobs run, by job name and outcome (succeeded, failed, timed_out, stopped)",
            NAMES["mvcpy_jobs_total"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "mvcpy_job_duration_seconds",
            "Time a job ran, by job name",
            NAMES["mvcpy_job_duration_seconds"],
            buckets=tuple(buckets),
            registry=self.registry,
        )
        self.websockets = Gauge(
            "mvcpy_websocket_connections",
            "WebSocket connections open",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.hub_messages = Counter(
            "mvcpy_hub_messages",
            "Hub messages: published to rooms, delivered to connections",
            NAMES["mvcpy_hub_messages_total"],
            registry=self.registry,
        )
        _listen_to_pools()
        with _pool_lock:
            _pool_gauges.append(self.db_in_use)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(route, method, str(status)).inc()
        self.duration.labels(route, method).observe(seconds)

    def websocket_changed(self, delta: int) -> None:
        """One WebSocket connection opened (+1) or closed (-1)."""
        self.websockets.inc(delta)

    def hub_event(self, event: str, count: int) -> None:
        """Count hub messages published or delivered."""
        self.hub_messages.labels(event).inc(count)

    def job_done(self, name: str, outcome: str, seconds: float) -> None:
        """Count one run of a job (a job engine's observer)."""
        self.jobs.labels(name, outcome).inc()
        self.job_duration.labels(name).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The text Prometheus reads, and its content type: every worker's values in
        multiprocess mode, else this process's."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """Stop counting database connections for this app."""
        with _pool_lock:
            if self.db_in_use in _pool_gauges:
                _pool_gauges.remove(self.db_in_use)
