"""The operations pages: per-route rates, latency percentiles and errors of every worker,
health, settings (secrets masked), database pools, the hub, jobs and cron, and a
profile of a worker on demand (docs/operations.md)."""

from __future__ import annotations

from mvcpy.ops.component import OpsComponent
from mvcpy.ops.settings import OpsSettings

__all__ = ["OpsComponent", "OpsSettings"]
