"""The tracing component: ``[tracing]``, the ``tracing`` service, the request filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.components import ServiceComponent, Setup
from mvcpy.tracing.settings import TracingSettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

__all__ = ["Tracing", "TracingComponent"]


class Tracing:
    """The app's tracer provider (its own, not OpenTelemetry's global one), its tracer and
    its exporter (``exporter.get_finished_spans()`` with the memory exporter)."""

    def __init__(self, provider: TracerProvider, exporter: Any) -> None:
        self.provider = provider
        self.exporter = exporter
        self.tracer: Tracer = provider.get_tracer("mvcpy")

    def shutdown(self) -> None:
        """Send the spans still waiting, and stop."""
        self.provider.shutdown()


class TracingComponent(ServiceComponent):
    """When ``[tracing] enabled``: a span per request and per SQL statement."""

    name = "tracing"
    service = "tracing"
    sections = {"tracing": TracingSettings}

    def enabled(self, setup: Setup) -> bool:
        """Only with ``[tracing] enabled = true``."""
        return setup.settings(TracingSettings).enabled

    def install(self, setup: Setup) -> None:
        """Trace each request and its statements."""
        super().install(setup)
        if not self.enabled(setup):
            return
        from mvcpy.tracing.spans import TracingFilter, listen_to_statements

        tracing: Tracing = setup.services[self.service]
        setup.add_filter(TracingFilter(tracing.tracer))
        listen_to_statements()

    def build(self, setup: Setup) -> Tracing:
        """The provider, its sampler and its exporter, from ``[tracing]``."""
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
            from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "[tracing] needs OpenTelemetry: pip install 'mvcpy-web[tracing]'"
            ) from exc
        settings = setup.settings(TracingSettings)
        name = settings.service_name or setup.core.app_name or "mvcpy"
        provider = TracerProvider(
            resource=Resource.create({"service.name": name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
        )
        exporter = _exporter(settings)
        processor = SimpleSpanProcessor if settings.exporter == "memory" else BatchSpanProcessor
        provider.add_span_processor(processor(exporter))
        return Tracing(provider, exporter)

    async def shutdown(self) -> None:
        """Flush the spans."""
        tracing = self.built()
        if tracing is not None:
            tracing.shutdown()


def _exporter(settings: TracingSettings) -> Any:
    if settings.exporter == "memory":
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        return InMemorySpanExporter()
    if settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.endpoint or None)
