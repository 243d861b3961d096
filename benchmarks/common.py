"""Shared helpers: timing, statistics, markdown tables and a description of the machine."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

__all__ = [
    "PACKAGES",
    "REPO_ROOT",
    "load_average",
    "machine_info",
    "markdown_table",
    "median",
    "new_event_loop",
    "time_per_call_ns",
]

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Distributions whose versions go into the report.
PACKAGES = (
    "mvcpy",
    "starlette",
    "fastapi",
    "litestar",
    "falcon",
    "blacksheep",
    "uvicorn",
    "uvloop",
    "httptools",
    "msgspec",
    "pydantic",
    "orjson",
)


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values: Sequence[float]) -> float:
    """Return the median of ``values``."""
    return statistics.median(values)


def time_per_call_ns(fn: Callable[[], object], iterations: int) -> float:
    """Call ``fn`` ``iterations`` times and return the mean nanoseconds per call."""
    clock = time.perf_counter_ns
    loop = range(iterations)
    start = clock()
    for _ in loop:
        fn()
    return (clock() - start) / iterations


def new_event_loop() -> asyncio.AbstractEventLoop:
    """Return a uvloop event loop when uvloop is installed (as under uvicorn), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the environment
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Format a GitHub markdown table; numbers are right-aligned."""
    text_rows = [[str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    numeric = [
        all(_is_number(row[i]) for row in text_rows) and bool(text_rows)
        for i in range(len(headers))
    ]

    def fmt(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(widths[i]) if numeric[i] else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if numeric[i] else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([fmt(list(headers)), rule, *(fmt(row) for row in text_rows)])


def _is_number(text: str) -> bool:
    cleaned = text.replace(",", "").rstrip("x%").strip()
    try:
        float(cleaned)
    except ValueError:
        return cleaned in ("", "-", "n/a")
    return True


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages as text."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or "unknown"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "?"


def _git_revision() -> str:
    """The repo's commit, and whether ``mvcpy/`` has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "mvcpy"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (mvcpy/ has uncommitted changes)" if dirty else "")


def machine_info() -> list[tuple[str, str]]:
    """Describe the machine and the software measured, as (label, value) pairs."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        ("mvcpy revision", _git_revision()),
        ("nproc", str(os.cpu_count())),
        ("CPU", _cpu_model()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("wrk", _wrk_version()),
        ("packages", ", ".join(versions)),
        ("load average at start", load_average()),
    ]
