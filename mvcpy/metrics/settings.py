"""The settings of the Prometheus endpoint: ``[metrics]``."""

from __future__ import annotations

from pydantic import Field, PositiveFloat

from mvcpy.config.section import Section, StrList

__all__ = ["MetricsSettings"]


def _default_buckets() -> list[float]:
    return [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]


class MetricsSettings(Section):
    """``[metrics]``: a Prometheus ``/metrics`` endpoint (docs/operations.md). Off by
    default; when on, only the addresses of ``allow`` may read it."""

    enabled: bool = False
    #: where Prometheus scrapes
    path: str = "/metrics"
    #: the client addresses (or networks) that may read it; others get 403
    allow: StrList = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: the request duration histogram's buckets, in seconds
    buckets: list[PositiveFloat] = Field(default_factory=_default_buckets)
