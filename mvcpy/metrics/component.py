"""The metrics component: ``[metrics]``, the ``metrics`` service, its filter and route."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from mvcpy.components import ServiceComponent, Setup
from mvcpy.filters.proxies import Addresses
from mvcpy.metrics.settings import MetricsSettings

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response
    from mvcpy.metrics.collectors import Metrics

__all__ = ["MetricsComponent", "MetricsFilter"]

#: the route label of requests that matched no route (404, 405...)
UNMATCHED = "<unmatched>"
#: methods counted under their own name; any other is "OTHER", so that a client cannot
#: make series without end by inventing methods
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class MetricsFilter:
    """App-wide: count each request by route name, method and status, and time it."""

    __slots__ = ("metrics",)

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Time the request; count it once it has its response (500 when it raised)."""
        metrics = self.metrics
        metrics.in_progress.inc()
        start = time.perf_counter()
        status = 500
        try:
            response: Response = await call_next(ctx)
            status = response.status
            return response
        finally:
            metrics.in_progress.dec()
            route = ctx.route.name if ctx.route is not None else UNMATCHED
            method = ctx.request.method
            if method not in _METHODS:
                method = "OTHER"
            metrics.observe(route, method, status, time.perf_counter() - start)

    def __repr__(self) -> str:
        return "MetricsFilter()"


class MetricsComponent(ServiceComponent):
    """When ``[metrics] enabled``: the filter, and ``GET [metrics] path`` for Prometheus."""

    name = "metrics"
    service = "metrics"
    sections = {"metrics": MetricsSettings}

    def enabled(self, setup: Setup) -> bool:
        """Only with ``[metrics] enabled = true``."""
        return setup.settings(MetricsSettings).enabled

    def install(self, setup: Setup) -> None:
        """Count requests and serve the exposition."""
        super().install(setup)
        if not self.enabled(setup):
            return
        settings = setup.settings(MetricsSettings)
        metrics: Metrics = setup.services[self.service]
        allowed = Addresses(settings.allow)
        setup.add_filter(MetricsFilter(metrics))
        jobs = setup.get_service("jobs")
        if jobs is not None:  # the jobs this process runs: a worker's, or the dev server's
            jobs.observers.append(metrics.job_done)

        def exposition(ctx: Any) -> Any:  # Any: the binder reads the annotations at start
            from mvcpy.errors import HTTPError
            from mvcpy.http.response import Response

            client = ctx.request.client
            if client is None or client[0] not in allowed:
                raise HTTPError(403, "metrics are readable from [metrics] allow only")
            body, content_type = metrics.exposition()
            return Response(body, headers={"content-type": content_type})

        # any Host header: Prometheus scrapes each instance by its address
        setup.route("GET", settings.path, exposition, name="metrics", any_host=True)

    def build(self, setup: Setup) -> Metrics:
        """The app's metrics, in a registry of their own."""
        try:
            from mvcpy.metrics.collectors import Metrics
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "[metrics] needs prometheus-client: pip install 'mvcpy-web[metrics]'"
            ) from exc
        return Metrics(setup.settings(MetricsSettings).buckets)

    async def shutdown(self) -> None:
        """Stop counting this app's database connections."""
        metrics = self.built()
        if metrics is not None:
            metrics.close()
