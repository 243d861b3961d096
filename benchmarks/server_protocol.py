"""What mvcpy's HTTP protocol costs beside uvicorn's, per request.

``mvcpy run`` and the gunicorn worker serve with :mod:`mvcpy.server_protocol` (uvicorn's
httptools protocol plus slow-client timeouts, strict request lines and absolute-form
targets). Two measurements:

- in process (:func:`inprocess`): one protocol object fed the same keep-alive GET
  20,000 times, a minimal ASGI app answering, on uvloop; the two protocols interleaved
  over 11 rounds, the median µs per request. This isolates the protocol's own cost.
- over the wire (:func:`run`): the same mvcpy app (the wire suite's async plaintext and
  JSON endpoints) served by uvicorn on CPU 0 once with each protocol, loaded by ``wrk
  -t1 -c64`` on CPU 1, interleaved rounds; server CPU µs per request (utime+stime from
  ``/proc/PID/stat``) and req/s, medians. On these VMs two identical servers differ by
  ±2-3 µs from run to run, more than the protocol's cost: read the in-process figure.

    python -m benchmarks.server_protocol
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import markdown_table, median, process_cpu_seconds
from benchmarks.wire import HOST, SERVER_CPU, Server, run_wrk

__all__ = ["ProtocolResult", "inprocess", "run"]

APP = "benchmarks.apps.mvcpy_async:app"
PROTOCOLS = {
    "uvicorn httptools": "'httptools'",
    "mvcpy.server_protocol": "__import__('mvcpy.server_protocol').server_protocol"
    ".GuardedHttpToolsProtocol",
}
PATHS = {"plaintext": "/plaintext", "json": "/json"}


class ProtocolServer(Server):
    """uvicorn started from Python, so that ``http`` may be a protocol class."""

    def __init__(self, label: str, protocol: str, log_dir: object) -> None:
        super().__init__(label, APP, log_dir)  # type: ignore[arg-type]
        self.protocol = protocol

    def start(self) -> None:
        """Launch uvicorn pinned to the server CPU with this server's protocol."""
        code = (
            "import uvicorn; uvicorn.run("
            f"{APP!r}, host={HOST!r}, port={self.port}, loop='uvloop', "
            f"http={self.protocol}, log_level='warning', access_log=False)"
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", SERVER_CPU, sys.executable, "-c", code],
                stdout=log,
                stderr=subprocess.STDOUT,
            )


@dataclass
class ProtocolResult:
    """Per (protocol, endpoint): req/s and server CPU µs per request, one value a round."""

    rps: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    cpu_us: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def markdown(self) -> str:
        """One row per endpoint: each protocol's medians, and the difference."""
        rows = []
        plain, ours = list(PROTOCOLS)
        for endpoint in PATHS:
            base = median(self.cpu_us[(plain, endpoint)])
            mine = median(self.cpu_us[(ours, endpoint)])
            rows.append(
                [
                    endpoint,
                    f"{median(self.rps[(plain, endpoint)]):,.0f}",
                    f"{median(self.rps[(ours, endpoint)]):,.0f}",
                    f"{base:.1f}",
                    f"{mine:.1f}",
                    f"{mine - base:+.1f} ({(mine / base - 1) * 100:+.1f}%)",
                ]
            )
        return markdown_table(
            [
                "endpoint",
                f"req/s {plain}",
                f"req/s {ours}",
                f"CPU µs {plain}",
                f"CPU µs {ours}",
                "difference",
            ],
            rows,
        )


def run(duration: int = 10, rounds: int = 5) -> ProtocolResult:
    """Serve the app with each protocol and load both, interleaved, ``rounds`` times."""
    import tempfile
    from pathlib import Path

    log_dir = Path(tempfile.mkdtemp(prefix="mvcpy-protocol-"))
    servers = [ProtocolServer(label, code, log_dir) for label, code in PROTOCOLS.items()]
    result = ProtocolResult()
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
            server.check()
            for path in PATHS.values():
                run_wrk(server.url(path), 2)  # warm up
        for index in range(rounds):
            order = servers if index % 2 == 0 else list(reversed(servers))
            for server in order:
                assert server.process is not None
                for endpoint, path in PATHS.items():
                    before = process_cpu_seconds(server.process.pid)
                    wrk = run_wrk(server.url(path), duration)
                    spent = process_cpu_seconds(server.process.pid) - before
                    key = (server.label, endpoint)
                    result.rps.setdefault(key, []).append(wrk.requests_per_second)
                    result.cpu_us.setdefault(key, []).append(spent / wrk.requests * 1e6)
    finally:
        for server in servers:
            server.stop()
    return result


#: a keep-alive GET as wrk sends it
_REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: wrk\r\n\r\n"


async def _hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


class _Transport(asyncio.Transport):
    """A transport that accepts what the protocol writes and forgets it."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


async def _per_request_us(protocol: type, requests: int) -> float:
    import uvicorn
    from uvicorn.server import ServerState

    config = uvicorn.Config(app=_hello, http=protocol, log_level="warning", lifespan="off")
    config.load()
    connection = protocol(config=config, server_state=ServerState(), app_state={})
    connection.connection_made(_Transport())

    async def serve(count: int) -> None:
        for _ in range(count):
            connection.data_received(_REQUEST)
            while connection.cycle is None or not connection.cycle.response_complete:
                await asyncio.sleep(0)

    await serve(2000)  # warm up
    started = time.perf_counter_ns()
    await serve(requests)
    return (time.perf_counter_ns() - started) / requests / 1000


def inprocess(rounds: int = 11, requests: int = 20_000) -> str:
    """Median µs per request through each protocol in process (see the module)."""
    import uvloop
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mvcpy.server_protocol import GuardedHttpToolsProtocol

    protocols = {
        "uvicorn httptools": HttpToolsProtocol,
        "mvcpy.server_protocol": GuardedHttpToolsProtocol,
    }
    times: dict[str, list[float]] = {label: [] for label in protocols}

    async def measure() -> None:
        for index in range(rounds):
            order = list(protocols.items())
            for label, protocol in order if index % 2 == 0 else reversed(order):
                times[label].append(await _per_request_us(protocol, requests))

    uvloop.run(measure())
    plain, ours = (statistics.median(times[label]) for label in protocols)
    fastest_plain, fastest_ours = (min(times[label]) for label in protocols)
    return (
        markdown_table(
            ["protocol", "µs/request (median)", "min", "max"],
            [
                [label, f"{statistics.median(v):.2f}", f"{min(v):.2f}", f"{max(v):.2f}"]
                for label, v in times.items()
            ],
        )
        + f"\n\nmvcpy.server_protocol beside uvicorn's: {ours - plain:+.2f} µs a request "
        f"(medians), {fastest_ours - fastest_plain:+.2f} µs (fastest rounds).\n"
    )


if __name__ == "__main__":
    print(inprocess())
    print(run().markdown())
