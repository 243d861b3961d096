"""OpenTelemetry tracing: a span per request named after its route, with a child span per
SQL statement, exported over OTLP (docs/operations.md)."""

from mvcpy.tracing.settings import TracingSettings

__all__ = ["TracingSettings"]
