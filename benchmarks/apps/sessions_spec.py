"""What every session benchmark app does: ``GET /counter`` reads ``n`` and writes ``n + 1``."""

from __future__ import annotations

import os

__all__ = ["PATH", "env"]

PATH = "/counter"
SECRET = "benchmark-secret-key-0123456789abcdef"


def env(name: str, default: str = "") -> str:
    """Return the benchmark setting ``BENCH_<name>``."""
    return os.environ.get(f"BENCH_{name}", default)
