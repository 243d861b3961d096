"""Over the wire: each app under uvicorn on CPU 0, loaded by ``wrk`` on CPU 1.

Every server is started once (``uvicorn --loop uvloop --http httptools``, one worker,
``--log-level warning``, no access log, pinned with ``taskset -c 0``), its answers are
checked, and it is warmed up. Then each round runs ``wrk -t1 -c64`` (pinned with
``taskset -c 1``) against every framework and endpoint, the frameworks in a different
order each round, so a burst of noise on the machine lands on different frameworks.
The median req/s over the rounds is reported with its ratio to raw ASGI. All traffic
goes to 127.0.0.1 and every run is bounded by ``-d``.
"""

from __future__ import annotations

import http.client
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.apps.spec import ENDPOINTS, JSON_BODY, PLAINTEXT, param_text
from benchmarks.common import REPO_ROOT, load_average, markdown_table, median, process_cpu_seconds

__all__ = ["FRAMEWORKS", "Server", "WireResult", "WrkRun", "run", "run_wrk"]

#: Label -> ASGI app import string, in report order.
FRAMEWORKS: dict[str, str] = {
    "raw ASGI": "benchmarks.apps.raw_asgi:app",
    "mvcpy (async)": "benchmarks.apps.mvcpy_async:app",
    "mvcpy (sync)": "benchmarks.apps.mvcpy_sync:app",
    "Starlette (async)": "benchmarks.apps.starlette_async:app",
    "Starlette (sync)": "benchmarks.apps.starlette_sync:app",
    "FastAPI": "benchmarks.apps.fastapi_app:app",
    "Litestar": "benchmarks.apps.litestar_app:app",
    "Falcon": "benchmarks.apps.falcon_app:app",
    "BlackSheep": "benchmarks.apps.blacksheep_app:app",
}
BASELINE = "raw ASGI"
SERVER_CPU = "0"
CLIENT_CPU = "1"
CONNECTIONS = 64
HOST = "127.0.0.1"

_EXPECTED: dict[str, bytes] = {
    "plaintext": PLAINTEXT.encode(),
    "json": b'{"message":"Hello, World!"}',
    "param": param_text(123, "hello-world").encode(),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """One ``GET`` over a fresh connection (http.client: no proxy settings apply)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """One uvicorn process serving one app, pinned to the server CPU."""

    #: uvicorn options this kind of server adds to the common ones
    extra_options: tuple[str, ...] = ()
    #: the path polled until the server answers
    ready_path = ENDPOINTS["plaintext"]

    def __init__(self, label: str, target: str, log_dir: Path) -> None:
        self.label = label
        self.target = target
        self.port = _free_port()
        self.log_path = log_dir / (re.sub(r"\W+", "_", label).strip("_") + ".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Launch uvicorn (it is not waited for: see :meth:`wait_ready`)."""
        command = [
            "taskset", "-c", SERVER_CPU,
            sys.executable, "-m", "uvicorn", self.target,
            "--host", HOST, "--port", str(self.port),
            "--loop", "uvloop", "--http", "httptools", *self.extra_options, "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the server answers; raise with its log when it died or never did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            try:
                _get(self.port, self.ready_path, timeout=1.0)
                return
            except OSError:
                time.sleep(0.1)
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.label} did not start on port {self.port}:\n{log}")

    def check(self) -> None:
        """Check each endpoint answers 200 with the expected body."""
        for name, path in ENDPOINTS.items():
            status, body = _get(self.port, path)
            expected = _EXPECTED[name]
            if name == "json" and status == 200:
                # Falcon's stdlib encoder adds a space after ':'; compare the data instead.
                import json

                ok = json.loads(body) == JSON_BODY
            else:
                ok = status == 200 and body == expected
            if not ok:
                raise RuntimeError(f"{self.label} {path}: got {status} {body[:200]!r}")

    def url(self, path: str) -> str:
        """The URL of ``path`` on this server."""
        return f"http://{HOST}:{self.port}{path}"

    def stop(self) -> None:
        """Stop this server (only the process this object started)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class WrkRun:
    """What one ``wrk`` run reported."""

    requests_per_second: float
    #: requests wrk completed in the run
    requests: int = 0
    non_2xx: int = 0
    socket_errors: int = 0
    output: str = ""


_RPS = re.compile(r"Requests/sec:\s*([\d.]+)")
_REQUESTS = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def run_wrk(url: str, duration: int, connections: int = CONNECTIONS) -> WrkRun:
    """Run ``wrk -t1 -c<connections> -d<duration>s`` pinned to the client CPU."""
    command = [
        "taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
        "--timeout", "5s", url,
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=False
    )
    output = done.stdout + done.stderr
    found = _RPS.search(output)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed on {url}:\n{output}")
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    # Connections still open when -d runs out may count as read errors; keep them apart.
    errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    total = _REQUESTS.search(output)
    return WrkRun(
        float(found.group(1)),
        int(total.group(1)) if total else 0,
        int(non_2xx.group(1)) if non_2xx else 0,
        errors,
        output,
    )


@dataclass
class WireResult:
    """req/s samples by (framework, endpoint), plus the settings and any warnings."""

    samples: dict[tuple[str, str], list[float]]
    frameworks: list[str]
    rounds: int
    duration: int
    warnings: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)
    #: (framework, endpoint) -> round -> req/s, for the rounds that gave a clean run
    by_round: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)
    #: (framework, endpoint) -> the server's CPU µs per request, one sample a clean run
    cpu_us: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(
        self, framework: str, endpoint: str, index: int, rps: float, cpu_us: float = math.nan
    ) -> None:
        """Record round ``index``'s req/s (and server CPU µs per request)."""
        self.samples.setdefault((framework, endpoint), []).append(rps)
        self.by_round.setdefault((framework, endpoint), {})[index] = rps
        if not math.isnan(cpu_us):
            self.cpu_us.setdefault((framework, endpoint), []).append(cpu_us)

    def cpu(self, framework: str, endpoint: str) -> float:
        """Median server CPU µs per request (NaN when not measured)."""
        values = self.cpu_us.get((framework, endpoint))
        return median(values) if values else math.nan

    def rps(self, framework: str, endpoint: str) -> float:
        """Median requests per second (NaN when every round was left out)."""
        values = self.samples.get((framework, endpoint))
        return median(values) if values else math.nan

    def ratio(self, framework: str, endpoint: str) -> float:
        """Median req/s over raw ASGI's median req/s."""
        return self.rps(framework, endpoint) / self.rps(BASELINE, endpoint)

    def paired_ratio(self, framework: str, other: str, endpoint: str) -> float:
        """Median over the rounds of ``framework``'s req/s over ``other``'s in that round.

        Both ran within the same round, so slow drifts of the machine cancel out.
        """
        ours = self.by_round.get((framework, endpoint), {})
        theirs = self.by_round.get((other, endpoint), {})
        ratios = [ours[i] / theirs[i] for i in ours.keys() & theirs.keys()]
        return median(ratios) if ratios else math.nan

    def spread(self, framework: str, endpoint: str) -> str:
        """min-max of the rounds, as text."""
        values = self.samples.get((framework, endpoint))
        return f"{min(values):,.0f}-{max(values):,.0f}" if values else "n/a"

    def markdown(self) -> str:
        """The result as a markdown table of medians and ratios, then the spreads."""
        headers = ["framework"]
        for endpoint in ENDPOINTS:
            headers += [f"{endpoint} req/s", "x raw"]
        rows = []
        for framework in self.frameworks:
            row: list[object] = [framework]
            for endpoint in ENDPOINTS:
                row += [
                    f"{self.rps(framework, endpoint):,.0f}",
                    f"{self.ratio(framework, endpoint):.2f}x",
                ]
            rows.append(row)
        title = (
            f"Over the wire: uvicorn (httptools, uvloop, 1 worker) on CPU {SERVER_CPU}, "
            f"`wrk -t1 -c{CONNECTIONS} -d{self.duration}s` on CPU {CLIENT_CPU}; median of "
            f"{self.rounds} interleaved rounds (higher is better)"
        )
        spread_rows = [
            [framework, *(self.spread(framework, e) for e in ENDPOINTS)]
            for framework in self.frameworks
        ]
        spread = markdown_table(["framework", *(f"{e} min-max" for e in ENDPOINTS)], spread_rows)
        parts = [title, markdown_table(headers, rows), "Spread over the rounds (req/s):", spread]
        if self.cpu_us:
            cpu_headers = ["framework"]
            for endpoint in ENDPOINTS:
                cpu_headers += [f"{endpoint} CPU µs", "x raw"]
            cpu_rows = []
            for framework in self.frameworks:
                row = [framework]
                for endpoint in ENDPOINTS:
                    ours, raw = self.cpu(framework, endpoint), self.cpu(BASELINE, endpoint)
                    row += [f"{ours:.1f}", f"{ours / raw:.2f}x"]
                cpu_rows.append(row)
            parts += [
                "Server CPU time per request (utime + stime of the server process from "
                "/proc/PID/stat around each run, over the requests wrk counted; median of "
                "the rounds; lower is better):",
                markdown_table(cpu_headers, cpu_rows),
            ]
        if self.load:
            parts.append("Load average (1/5/15 min) before each round: " + "; ".join(self.load))
        if self.warnings:
            parts.append("Warnings:\n\n" + "\n".join(f"- {w}" for w in self.warnings))
        return "\n\n".join(parts)


def _measure(server: Server, path: str, duration: int) -> tuple[WrkRun | None, str, float]:
    """Run wrk; retry once when the run was not clean (errors, non-2xx, nothing served).

    Also returns the server's CPU µs per request over the clean run (NaN when unknown).
    """
    problem = ""
    pid = server.process.pid if server.process is not None else None
    for _ in range(2):
        before = process_cpu_seconds(pid) if pid is not None else math.nan
        got = run_wrk(server.url(path), duration)
        after = process_cpu_seconds(pid) if pid is not None else math.nan
        if got.requests_per_second > 0 and not got.non_2xx and not got.socket_errors:
            cpu_us = (after - before) / got.requests * 1e6 if got.requests else math.nan
            return got, problem, cpu_us
        problem = (
            f"{got.requests_per_second:,.0f} req/s, {got.non_2xx} non-2xx, "
            f"{got.socket_errors} socket errors"
        )
        if server.process is not None and server.process.poll() is not None:
            return None, problem + "; the server exited", math.nan
        time.sleep(1)
    return None, problem + " (twice)", math.nan


def _warm_up(server: Server, duration: int) -> None:
    for path in ENDPOINTS.values():
        conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
        try:
            for _ in range(300):
                conn.request("GET", path)
                conn.getresponse().read()
        finally:
            conn.close()
        if duration:
            run_wrk(server.url(path), duration)


def run(
    quick: bool = False,
    frameworks: list[str] | None = None,
    rounds: int | None = None,
    duration: int | None = None,
    log: bool = True,
) -> WireResult:
    """Start every server, check and warm them, then run the interleaved rounds."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    if shutil.which("taskset") is None:
        raise RuntimeError("taskset is not installed (util-linux)")
    labels = frameworks or list(FRAMEWORKS)
    if BASELINE not in labels:
        labels.insert(0, BASELINE)
    rounds = rounds or (3 if quick else 7)
    duration = duration or (1 if quick else 3)
    warm = 0 if quick else 1
    result = WireResult({}, labels, rounds, duration)
    with tempfile.TemporaryDirectory(prefix="mvcpy-bench-") as tmp:
        servers = [Server(label, FRAMEWORKS[label], Path(tmp)) for label in labels]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
                server.check()
                _warm_up(server, warm)
            for index in range(rounds):
                result.load.append(load_average())
                shift = index % len(servers)
                order = servers[shift:] + servers[:shift]
                for endpoint, path in ENDPOINTS.items():
                    for server in order:
                        got, problem, cpu_us = _measure(server, path, duration)
                        if got is None:
                            result.warnings.append(
                                f"{server.label} {endpoint} round {index + 1} left out: {problem}"
                            )
                            continue
                        if problem:
                            result.warnings.append(
                                f"{server.label} {endpoint} round {index + 1} retried after: "
                                f"{problem}"
                            )
                        result.add(server.label, endpoint, index, got.requests_per_second, cpu_us)
                        if log:
                            print(
                                f"  round {index + 1}/{rounds} {endpoint:9} "
                                f"{server.label:18} {got.requests_per_second:>10,.0f} req/s",
                                file=sys.stderr,
                                flush=True,
                            )
            for server in servers:
                if server.process is not None and server.process.poll() is not None:
                    result.warnings.append(f"{server.label} exited during the run")
        finally:
            for server in servers:
                server.stop()
    return result


if __name__ == "__main__":
    print(run(quick=True).markdown())
