"""What mvcpy's HTTP protocol costs beside uvicorn's: the slow-client timeouts per request.

``mvcpy run`` and the gunicorn worker serve with :mod:`mvcpy.server_protocol` (uvicorn's
httptools protocol plus a header clock per request and a body clock). The same mvcpy app
(the async plaintext and JSON endpoints of the wire suite) is served by uvicorn on CPU 0
twice, once with each protocol, and loaded by ``wrk -t1 -c64`` on CPU 1, the two
interleaved for several rounds; server CPU µs per request (utime+stime from
``/proc/PID/stat`` around each run) and req/s are medians over the rounds.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

from benchmarks.common import markdown_table, median, process_cpu_seconds
from benchmarks.wire import HOST, SERVER_CPU, Server, run_wrk

__all__ = ["ProtocolResult", "run"]

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


if __name__ == "__main__":
    print(run().markdown())
