"""The settings of OpenTelemetry tracing: ``[tracing]``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mvcpy.config.section import Section

__all__ = ["TracingSettings"]


class TracingSettings(Section):
    """``[tracing]``: OpenTelemetry spans for each request and its SQL (docs/operations.md).
    Off by default."""

    enabled: bool = False
    #: otlp (OTLP over HTTP to ``endpoint``) | console (printed) | memory (kept for tests)
    exporter: Literal["otlp", "console", "memory"] = "otlp"
    #: the OTLP traces URL; empty: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or the
    #: collector's default (http://localhost:4318/v1/traces)
    endpoint: str = ""
    #: the ``service.name`` of the spans; empty: the app's ``app_name``
    service_name: str = ""
    #: the share of new traces recorded (a request that arrives in a sampled trace is)
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
