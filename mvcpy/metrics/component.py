"""The metrics component: ``[metrics]``, the ``metrics`` service, its filter and route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.components import ServiceComponent, Setup
from mvcpy.filters.observe import observe_requests
from mvcpy.filters.proxies import AllowedClients
from mvcpy.metrics.settings import MetricsSettings

if TYPE_CHECKING:
    from mvcpy.metrics.collectors import Metrics

__all__ = ["MetricsComponent"]


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
        allowed = AllowedClients(settings.allow, "[metrics] allow")
        observer = observe_requests(setup)
        observer.started.append(metrics.in_progress.inc)
        observer.finished.append(metrics.in_progress.dec)
        observer.done.append(metrics.observe)
        websockets = setup.get_service("websockets")
        if websockets is not None:
            websockets.observers.append(metrics.websocket_changed)
        hub = setup.get_service("hub")
        if hub is not None:
            hub.observers.append(metrics.hub_event)
        jobs = setup.get_service("jobs")
        if jobs is not None:  # the jobs this process runs: a worker's, or the dev server's
            jobs.observers.append(metrics.job_done)

        def exposition(ctx: Any) -> Any:  # Any: the binder reads the annotations at start
            from mvcpy.errors import HTTPError
            from mvcpy.http.response import Response

            if not allowed.allows(ctx):
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
