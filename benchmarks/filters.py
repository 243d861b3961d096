"""What the built-in filters cost, in the gocraft/web scenario (163 routes, 6 filters, 3 levels).

In process: the ``json`` endpoint of :mod:`benchmarks.scenario`'s mvcpy app, alone and
with each built-in added as an app filter (requests carry an ``Origin`` that CORS
allows, and credentials where a filter needs them), median of interleaved repeats.
The added cost is the difference to the plain app.

Over the wire: uvicorn (one worker, CPU 0) and ``wrk`` (CPU 1, ``Origin`` header)
against mvcpy, Starlette and Litestar, each plain and with request IDs, an access log
through ``logging`` (to /dev/null), CORS and security headers on
(``benchmarks/apps/filters_*.py``). Target: the four together cost mvcpy less than 25%
of its plain throughput.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import load_average, markdown_table, median, new_event_loop
from benchmarks.driver import ASGIApp, make_scope, start_lifespan
from benchmarks.scenario import ENDPOINTS, ROUTE_COUNT, build_mvcpy
from benchmarks.wire import CLIENT_CPU, CONNECTIONS, HOST, Server

__all__ = ["TARGET", "FiltersResult", "run"]

ORIGIN = "https://app.example"
PATH = ENDPOINTS["json"]
#: The four together may cost at most this share of mvcpy's plain throughput.
TARGET = 0.25
_HEADERS = [
    (b"origin", ORIGIN.encode()),
    (b"authorization", b"Basic " + base64.b64encode(b"ada:s3cret")),
]


def _builtins() -> dict[str, Callable[[], list[Any]]]:
    """Label -> factory of the filters to add (fresh instances for each app)."""
    from mvcpy.filters.access_log import AccessLog
    from mvcpy.filters.auth import BasicAuth
    from mvcpy.filters.body_limit import BodyLimit
    from mvcpy.filters.cache import ResponseCache
    from mvcpy.filters.compression import Compression
    from mvcpy.filters.cors import CORS
    from mvcpy.filters.proxies import ProxyHeaders
    from mvcpy.filters.ratelimit import RateLimit
    from mvcpy.filters.recovery import Recovery
    from mvcpy.filters.request_id import RequestID
    from mvcpy.filters.security import SecurityHeaders
    from mvcpy.filters.static import Static
    from mvcpy.filters.timeout import Timeout

    static_dir = tempfile.mkdtemp(prefix="mvcpy-bench-static-")
    return {
        "(none)": list,
        "request id": lambda: [RequestID()],
        "access log (JSON to /dev/null)": lambda: [AccessLog(format="json")],
        "recovery": lambda: [Recovery()],
        "security headers": lambda: [SecurityHeaders()],
        "CORS (allowed origin)": lambda: [CORS([ORIGIN])],
        "compression (body under threshold)": lambda: [Compression()],
        "static (path not under /static)": lambda: [Static({"/static": static_dir})],
        "body limit": lambda: [BodyLimit("1mb")],
        "trusted proxies": lambda: [ProxyHeaders()],
        "timeout": lambda: [Timeout(30)],
        "basic auth": lambda: [BasicAuth(users={"ada": "s3cret"})],
        "rate limit (memory)": lambda: [RateLimit("1000000/s")],
        "response cache (hit)": lambda: [ResponseCache(60)],
        "the four together": lambda: [
            RequestID(),
            AccessLog(format="json"),
            CORS([ORIGIN]),
            SecurityHeaders(),
        ],
    }


async def _time(app: ASGIApp, iterations: int) -> float:
    template = make_scope(PATH)
    template["headers"] = [*template["headers"], *_HEADERS]
    body = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        return body

    async def send(message: dict[str, Any]) -> None:
        return None

    clock = time.perf_counter_ns
    start = clock()
    for _ in range(iterations):
        await app(dict(template), receive, send)
    return (clock() - start) / iterations


@dataclass
class FiltersResult:
    """In-process ns per request by built-in, and over-the-wire req/s by app."""

    inprocess: dict[str, list[float]]
    iterations: int
    repeats: int
    wire: dict[str, list[float]] = field(default_factory=dict)
    rounds: int = 0
    duration: int = 0
    load: list[str] = field(default_factory=list)

    def us(self, label: str) -> float:
        """Median µs per request with ``label``'s filters."""
        return median(self.inprocess[label]) / 1000

    def rps(self, label: str) -> float:
        """Median req/s over the wire."""
        return median(self.wire[label])

    def throughput_cost(self, framework: str) -> float:
        """Share of ``framework``'s plain req/s lost with the four on (paired by round)."""
        plain = self.wire[f"{framework} plain"]
        full = self.wire[f"{framework} + 4"]
        return 1 - median([f / p for f, p in zip(full, plain, strict=True)])

    def targets(self) -> list[str]:
        """The throughput target, read from the wire results."""
        cost = self.throughput_cost("mvcpy")
        verdict = "reached" if cost < TARGET else "NOT reached"
        return [
            f"Filters: request ID + access log + CORS + security headers cost mvcpy "
            f"{cost:.1%} of its throughput (target < {TARGET:.0%}): {verdict}"
        ]

    def markdown(self) -> str:
        """The report: the in-process table, then the wire table and the target."""
        base = self.us("(none)")
        rows = [
            [label, f"{self.us(label):.2f}", f"{self.us(label) - base:+.2f}"]
            for label in self.inprocess
        ]
        parts = [
            f"Built-in filters in process: {ROUTE_COUNT} routes, 6 pass-through filters, 3 "
            f"nested namespaces, `GET {PATH}`; median of {self.repeats} runs x "
            f"{self.iterations:,} requests (lower is better)",
            markdown_table(["filters added to the app", "µs/request", "added µs"], rows),
        ]
        if self.wire:
            wire_rows = []
            for framework in ("mvcpy", "Starlette", "Litestar"):
                wire_rows.append(
                    [
                        framework,
                        f"{self.rps(f'{framework} plain'):,.0f}",
                        f"{self.rps(f'{framework} + 4'):,.0f}",
                        f"{self.throughput_cost(framework) * 100:.1f}%",
                    ]
                )
            cost = self.throughput_cost("mvcpy")
            verdict = "reached" if cost < TARGET else "NOT reached"
            parts += [
                f"Over the wire, request ID + access log + CORS + security headers: uvicorn "
                f"(1 worker) on CPU 0, `wrk -t1 -c{CONNECTIONS} -d{self.duration}s` with an "
                f"`Origin` header on CPU {CLIENT_CPU}; median of {self.rounds} interleaved "
                "rounds (higher is better)",
                markdown_table(
                    ["framework", "plain req/s", "with the four req/s", "throughput lost"],
                    wire_rows,
                ),
                f"Target: the four cost mvcpy less than {TARGET:.0%} of its throughput: "
                f"{cost:.1%}, {verdict}.",
            ]
            if self.load:
                parts.append("Load average before each round: " + "; ".join(self.load))
        return "\n\n".join(parts)


async def _inprocess(iterations: int, repeats: int) -> dict[str, list[float]]:
    apps: dict[str, ASGIApp] = {}
    shutdowns = []
    for label, factory in _builtins().items():
        app = build_mvcpy()
        filters = factory()
        if filters:
            app.use(*filters)  # type: ignore[attr-defined]
        shutdowns.append(await start_lifespan(app))
        apps[label] = app
    from benchmarks.apps.filters_common import discard_log

    discard_log("mvcpy.access")
    for app in apps.values():
        await _time(app, max(200, iterations // 10))
    samples: dict[str, list[float]] = {label: [] for label in apps}
    for _ in range(repeats):
        for label, app in apps.items():
            samples[label].append(await _time(app, iterations))
    for shutdown in shutdowns:
        await shutdown()
    return samples


_RPS = re.compile(r"Requests/sec:\s*([\d.]+)")
_WIRE_APPS = {
    "mvcpy plain": "benchmarks.apps.filters_mvcpy:plain",
    "mvcpy + 4": "benchmarks.apps.filters_mvcpy:full",
    "Starlette plain": "benchmarks.apps.filters_starlette:plain",
    "Starlette + 4": "benchmarks.apps.filters_starlette:full",
    "Litestar plain": "benchmarks.apps.filters_litestar:plain",
    "Litestar + 4": "benchmarks.apps.filters_litestar:full",
}


class _ScenarioServer(Server):
    """A wire server for a scenario app (its paths are under ``/v1/shop/admin``)."""

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait until ``GET PATH`` answers 200 (six apps start at once on one CPU)."""
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=1.0)
                conn.request("GET", PATH, headers={"origin": ORIGIN})
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                time.sleep(0.1)
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.label} did not answer {PATH} on port {self.port}:\n{log}")


def _wrk(url: str, duration: int) -> float:
    command = [
        "taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s",
        "--timeout", "5s", "-H", f"Origin: {ORIGIN}", url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30)
    found = _RPS.search(done.stdout)
    if done.returncode != 0 or found is None or "Non-2xx" in done.stdout:
        raise RuntimeError(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return float(found.group(1))


def _wire(result: FiltersResult, rounds: int, duration: int) -> None:
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise RuntimeError("the wire part needs wrk and taskset")
    with tempfile.TemporaryDirectory(prefix="mvcpy-bench-filters-") as tmp:
        servers = [
            _ScenarioServer(label, target, Path(tmp)) for label, target in _WIRE_APPS.items()
        ]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
                _wrk(server.url(PATH), 1)  # warm-up
            for index in range(rounds):
                result.load.append(load_average())
                shift = (index * 2) % len(servers)
                for server in servers[shift:] + servers[:shift]:
                    rps = _wrk(server.url(PATH), duration)
                    result.wire.setdefault(server.label, []).append(rps)
                    print(f"  round {index + 1}/{rounds} {server.label:16} {rps:>10,.0f} req/s",
                          file=sys.stderr, flush=True)  # fmt: skip
        finally:
            for server in servers:
                server.stop()
    result.rounds = rounds
    result.duration = duration


def run(quick: bool = False, wire: bool = True) -> FiltersResult:
    """Measure in process, then (when ``wire``) over the wire."""
    iterations = 2_000 if quick else 10_000
    repeats = 3 if quick else 7
    loop = new_event_loop()
    try:
        samples = loop.run_until_complete(_inprocess(iterations, repeats))
    finally:
        loop.close()
    result = FiltersResult(samples, iterations, repeats)
    if wire:
        _wire(result, 3 if quick else 5, 1 if quick else 3)
    return result


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(run(quick="--quick" in sys.argv, wire="--no-wire" not in sys.argv).markdown())
