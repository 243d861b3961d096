"""Prometheus metrics: requests by route name, their durations, requests in progress and
database connections in use, at ``[metrics] path`` (docs/operations.md)."""

from mvcpy.metrics.settings import MetricsSettings

__all__ = ["MetricsSettings"]
