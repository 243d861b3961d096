"""A page that reads and writes the session, per backend, beside Flask's and Django's sessions.

Every app answers ``GET /counter``: read ``n`` from the session, store ``n + 1``, return
it as JSON. Each server is one uvicorn worker pinned to CPU 0 (Flask through uvicorn's
WSGI interface); ``wrk`` runs on CPU 1 with the session cookie of a primed session, so
every request loads and saves an existing session. PostgreSQL tables live in a schema of
their own, dropped at the end; Redis keys under a fresh prefix, deleted at the end. The
frameworks run in a different order each round; the median req/s is reported. No timing
is ever asserted.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.apps.sessions_spec import PATH
from benchmarks.common import REPO_ROOT, load_average, markdown_table, median
from benchmarks.orm import _databases, _free_port
from benchmarks.wire import _NON_2XX, _RPS, _SOCKET, CLIENT_CPU, HOST, SERVER_CPU

__all__ = ["FRAMEWORKS", "SessionsResult", "run"]

REDIS = "redis://127.0.0.1:6379/0"

#: Label -> (import string, uvicorn interface, extra environment).
FRAMEWORKS: dict[str, tuple[str, str, dict[str, str]]] = {
    "mvcpy cookie": ("benchmarks.apps.sessions_mvcpy:app", "asgi3", {"SESSION_BACKEND": "cookie"}),
    "mvcpy redis": ("benchmarks.apps.sessions_mvcpy:app", "asgi3", {"SESSION_BACKEND": "redis"}),
    "mvcpy redis (async)": (
        "benchmarks.apps.sessions_mvcpy:async_app",
        "asgi3",
        {"SESSION_BACKEND": "redis"},
    ),
    "mvcpy database (PostgreSQL)": (
        "benchmarks.apps.sessions_mvcpy:app",
        "asgi3",
        {"SESSION_BACKEND": "database"},
    ),
    "Flask cookie": ("benchmarks.apps.sessions_flask:app", "wsgi", {}),
    "Django db (PostgreSQL)": (
        "benchmarks.apps.sessions_django:app",
        "asgi3",
        {"DJANGO_SESSION": "db"},
    ),
    "Django cache (Redis)": (
        "benchmarks.apps.sessions_django:app",
        "asgi3",
        {"DJANGO_SESSION": "cache"},
    ),
}


@dataclass
class SessionsResult:
    """req/s samples by framework."""

    samples: dict[str, list[float]]
    rounds: int
    duration: int
    warnings: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The report section."""
        rows = [[label, f"{median(values):,.0f}"] for label, values in self.samples.items()]
        parts = [
            f"{self.rounds} rounds x {self.duration} s per framework, `wrk -t1 -c32`, "
            f"`GET {PATH}` reading and writing the session; median req/s.",
            markdown_table(["framework / session backend", "req/s"], rows),
        ]
        if self.warnings:
            parts.append("Warnings:\n" + "\n".join(f"- {w}" for w in self.warnings))
        parts.append("Load average per round: " + "; ".join(self.load))
        return "\n\n".join(parts)


def _environment(extra: dict[str, str], db_url: str, prefix: str) -> dict[str, str]:
    bench = {"DB_URL": db_url, "REDIS_URL": REDIS, "REDIS_PREFIX": prefix, **extra}
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        **{f"BENCH_{k}": v for k, v in bench.items()},
    }


def _prepare_tables(db_url: str, prefix: str) -> None:
    """Create the mvcpy and Django session tables in the benchmark schema."""
    mvcpy = (
        "from mvcpy.sessions.database import DatabaseStore; "
        "from benchmarks.apps.sessions_mvcpy import app; DatabaseStore(app).create_table()"
    )
    django = (
        "import benchmarks.apps.sessions_django; from django.core.management import "
        "call_command; call_command('migrate', 'sessions', verbosity=0)"
    )
    for code, extra in ((mvcpy, {"SESSION_BACKEND": "database"}), (django, {})):
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env=_environment(extra, db_url, prefix),
            check=True,
            timeout=60,
        )


class _Server:
    def __init__(self, label: str, db_url: str, prefix: str, log_dir: Path) -> None:
        self.label = label
        self.target, self.interface, extra = FRAMEWORKS[label]
        self.env = _environment(extra, db_url, prefix)
        self.port = _free_port()
        self.log = log_dir / f"sessions-{uuid.uuid4().hex[:8]}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.cookie = ""

    def start(self) -> None:
        command = [
            "taskset", "-c", SERVER_CPU,
            sys.executable, "-m", "uvicorn", self.target, "--interface", self.interface,
            "--host", HOST, "--port", str(self.port),
            "--loop", "uvloop", "--http", "httptools", "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def prime(self, timeout: float = 60.0) -> None:
        """Wait for the server, open a session and keep its cookie for wrk."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2.0)
                conn.request("GET", PATH)
                response = conn.getresponse()
                body = response.read()
                cookie = response.getheader("set-cookie") or ""
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process is None or self.process.poll():
                    raise RuntimeError(
                        f"{self.label} did not start:\n{self.log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        if response.status != 200 or b'"n"' not in body or not cookie:
            raise RuntimeError(f"{self.label} {PATH}: {response.status} {body[:200]!r}")
        self.cookie = cookie.split(";", 1)[0]

    def wrk(self, duration: int) -> tuple[float, int]:
        """Run wrk with the session cookie; return (req/s, non-2xx + socket errors)."""
        command = [
            "taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c32", f"-d{duration}s",
            "--timeout", "5s", "-H", f"Cookie: {self.cookie}",
            f"http://{HOST}:{self.port}{PATH}",
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=False
        )
        output = done.stdout + done.stderr
        found = _RPS.search(output)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"wrk failed on {self.label}:\n{output}")
        bad = _NON_2XX.search(output)
        sockets = _SOCKET.search(output)
        errors = (int(bad.group(1)) if bad else 0) + (
            sum(int(n) for n in sockets.groups()) if sockets else 0
        )
        return float(found.group(1)), errors

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _drop_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        for pattern in (f"{prefix}*", f":1:{prefix}*", f"{prefix}:*"):
            keys = list(client.scan_iter(pattern))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


def run(quick: bool = False, log: bool = True) -> SessionsResult:
    """Run every framework, interleaved, and return the samples."""
    rounds = 3 if quick else 5
    duration = 1 if quick else 2
    result = SessionsResult({label: [] for label in FRAMEWORKS}, rounds, duration)
    prefix = f"mvcpy-bench-{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory(prefix="mvcpy-sessions-bench-") as tmp,
        _databases(Path(tmp), ["PostgreSQL"]) as urls,
    ):
        db_url = urls["PostgreSQL"]
        _prepare_tables(db_url, prefix)
        servers = [_Server(label, db_url, prefix, Path(tmp)) for label in FRAMEWORKS]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.prime()
                server.wrk(1)  # warm up
            for index in range(rounds):
                result.load.append(load_average())
                shift = index % len(servers)
                for server in servers[shift:] + servers[:shift]:
                    rps, errors = server.wrk(duration)
                    if errors:
                        result.warnings.append(
                            f"{server.label} round {index + 1}: {errors} errors or non-2xx"
                        )
                    result.samples[server.label].append(rps)
                    if log:
                        print(f"   {server.label:30} {rps:9,.0f} req/s", file=sys.stderr)
        finally:
            for server in servers:
                server.stop()
            _drop_redis_keys(prefix)
    return result


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv).markdown())
