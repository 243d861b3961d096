"""Real time: WebSocket connections held, broadcast fan-out and echo latency, beside peers.

Each app (``benchmarks/apps/rt_*.py``) runs under uvicorn (``--loop uvloop --http
httptools --ws websockets-sansio``, one worker, ``--log-level warning``,
``--no-access-log``) pinned with ``taskset -c 0``; the load generator
(:mod:`benchmarks.rt_client`, an asyncio client process) runs pinned to CPU 1, one
process per measurement. All servers start at once and are checked (a small broadcast
and an echo). Then, per framework once: connections held, ramped to each step with the
server's RSS read from ``/proc`` at each and one broadcast to all of them at the end.
Then interleaved rounds (the framework order rotated each round) of: a publisher
broadcasting N messages to 100 members and to 1,000 members (timed from the command
until every member has every message; the server's CPU time read from ``/proc`` over
the same span), and sequential echoes on one connection. Medians over the rounds are
reported with their ratio to mvcpy. Everything goes to 127.0.0.1 and every wait is
bounded. No timing is asserted anywhere.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.apps.rt_spec import READY_PATH
from benchmarks.common import REPO_ROOT, load_average, markdown_table, median
from benchmarks.wire import CLIENT_CPU, Server

__all__ = ["FRAMEWORKS", "RealtimeResult", "RealtimeServer", "run"]

#: Label -> ASGI app import string, in report order (mvcpy first: ratios are to it).
FRAMEWORKS: dict[str, str] = {
    "mvcpy": "benchmarks.apps.rt_mvcpy:app",
    "Starlette": "benchmarks.apps.rt_starlette:app",
    "Litestar": "benchmarks.apps.rt_litestar:app",
}
BASELINE = "mvcpy"
#: Bytes of padding in every broadcast message (plus its number and a space).
SIZE = 64


@dataclass(frozen=True)
class Settings:
    """How much each measurement does."""

    rounds: int
    #: (members, messages) of each fan-out
    fanouts: tuple[tuple[int, int], ...]
    echoes: int
    #: connection counts the hold phase ramps through
    hold_steps: tuple[int, ...]


FULL = Settings(5, ((100, 1000), (1000, 100)), 2000, (1000, 5000, 10000))
QUICK = Settings(3, ((100, 300), (1000, 30)), 500, (1000, 2000))


class RealtimeServer(Server):
    """One uvicorn process serving one real-time app on the server CPU."""

    # The WebSocket implementation every app here uses (uvicorn's default today).
    extra_options = ("--ws", "websockets-sansio")
    ready_path = READY_PATH

    @property
    def pid(self) -> int:
        """The server's process id (``taskset`` execs the server in place)."""
        assert self.process is not None
        return self.process.pid

    def load(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Run the load generator on the client CPU with ``spec``; return its JSON answer."""
        spec = {**spec, "port": self.port, "pid": self.pid}
        command = [
            "taskset", "-c", CLIENT_CPU, sys.executable, "-m", "benchmarks.rt_client",
            json.dumps(spec),
        ]  # fmt: skip
        done = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise RuntimeError(
                f"{self.label}: load generator failed ({spec['mode']}):\n{done.stderr[-3000:]}"
            )
        answer: dict[str, Any] = json.loads(lines[-1])
        return answer


@dataclass
class RealtimeResult:
    """Everything the suite measured, by framework."""

    settings: Settings
    frameworks: list[str]
    hold: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (framework, members) -> [(messages/s, server CPU µs per delivery)] per round
    fanout: dict[tuple[str, int], list[tuple[float, float]]] = field(default_factory=dict)
    #: framework -> [(median µs, p99 µs)] per round
    echo: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)

    def rate(self, framework: str, members: int) -> float:
        """Median messages delivered per second (NaN when no round completed)."""
        runs = self.fanout.get((framework, members))
        return median([r for r, _ in runs]) if runs else math.nan

    def cpu(self, framework: str, members: int) -> float:
        """Median server CPU µs per delivered message."""
        runs = self.fanout.get((framework, members))
        return median([c for _, c in runs]) if runs else math.nan

    def latency(self, framework: str, p99: bool = False) -> float:
        """Median over the rounds of the echo's median (or p99) in µs."""
        runs = self.echo.get(framework)
        return median([r[1] if p99 else r[0] for r in runs]) if runs else math.nan

    def _hold_rows(self) -> list[list[object]]:
        rows: list[list[object]] = []
        for framework in self.frameworks:
            got = self.hold.get(framework)
            if got is None:
                continue
            base = got["baseline_kib"]
            steps = got["steps"]
            per = [(s["rss_kib"] - base) / max(s["connections"], 1) for s in steps]
            at_1000 = next(
                (p for s, p in zip(steps, per, strict=True) if s["connections"] == 1000), math.nan
            )
            top = steps[-1] if steps else {"connections": 0, "rss_kib": base}
            rows.append(
                [
                    framework,
                    f"{top['connections']:,}",
                    f"{base / 1024:,.1f}",
                    f"{at_1000:,.1f}",
                    f"{top['rss_kib'] / 1024:,.1f}",
                    f"{per[-1] if per else math.nan:,.1f}",
                    f"{got['broadcast_reached']:,}",
                    got["error"] or "-",
                ]
            )
        return rows

    def markdown(self) -> str:
        """The report section: three tables and the settings."""
        s = self.settings
        mine = self.frameworks[0]
        hold = markdown_table(
            [
                "framework",
                "held",
                "RSS before MiB",
                "KiB/conn at 1,000",
                "RSS held MiB",
                "KiB/conn held",
                "broadcast reached",
                "stopped by",
            ],
            self._hold_rows(),
        )
        fan_headers = ["framework"]
        for members, messages in s.fanouts:
            fan_headers += [
                f"{members:,} x {messages:,} msg/s",
                f"x {mine}",
                "server CPU µs/msg",
            ]
        fan_rows = []
        for framework in self.frameworks:
            row: list[object] = [framework]
            for members, _ in s.fanouts:
                rate = self.rate(framework, members)
                row += [
                    f"{rate:,.0f}",
                    f"{rate / self.rate(mine, members):.2f}x",
                    f"{self.cpu(framework, members):.1f}",
                ]
            fan_rows.append(row)
        echo_rows = [
            [
                framework,
                f"{self.latency(framework):,.0f}",
                f"{self.latency(framework) / self.latency(mine):.2f}x",
                f"{self.latency(framework, p99=True):,.0f}",
            ]
            for framework in self.frameworks
        ]
        parts = [
            f"Connections held: members of one room, ramped through "
            f"{', '.join(f'{n:,}' for n in s.hold_steps)}; the server's RSS (VmRSS) before "
            "the first and with all of them open; then one broadcast to all.",
            hold,
            f"Broadcast fan-out: one publisher sends N messages of {SIZE} bytes to a room of "
            f"M members (M x N in the headers); messages delivered per second until every "
            f"member has every one (higher is better; x {mine}: this framework's rate over "
            f"{mine}'s), and the server's CPU time per delivered message. Median of "
            f"{s.rounds} interleaved rounds.",
            markdown_table(fan_headers, fan_rows),
            f"Echo round trip: {s.echoes:,} sequential 32-byte text echoes on one connection "
            f"(after 100 unmeasured), µs; median over {s.rounds} rounds of each round's median "
            f"and p99 (lower is better; x {mine}: this framework's median over {mine}'s, "
            f"below 1 means a shorter round trip than {mine}'s).",
            markdown_table(["framework", "median µs", f"x {mine}", "p99 µs"], echo_rows),
            "Load average (1/5/15 min) before each round: " + "; ".join(self.load),
        ]
        if self.warnings:
            parts.append("Warnings:\n\n" + "\n".join(f"- {w}" for w in self.warnings))
        return "\n\n".join(parts)


def _round(server: RealtimeServer, settings: Settings, result: RealtimeResult, index: int) -> None:
    label = server.label
    for members, messages in settings.fanouts:
        spec = {"mode": "fanout", "clients": members, "messages": messages, "size": SIZE}
        got = server.load(spec)
        if got.get("error") or not got.get("complete") or got.get("wrong"):
            result.warnings.append(
                f"{label} fan-out to {members:,} round {index + 1} left out: "
                f"{got.get('error') or ''} delivered {got.get('delivered', 0):,} of "
                f"{members * messages:,}, {got.get('wrong', 0)} out of order"
            )
            continue
        rate = got["delivered"] / got["seconds"]
        cpu_us = got["server_cpu"] / got["delivered"] * 1e6
        result.fanout.setdefault((label, members), []).append((rate, cpu_us))
        print(
            f"  round {index + 1} {label:10} fan-out {members:>5,} x {messages:<5,} "
            f"{rate:>9,.0f} msg/s  server {cpu_us:5.1f} µs/msg",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(0.5)  # the server closes the members before the next measurement
    got = server.load({"mode": "echo", "count": settings.echoes})
    result.echo.setdefault(label, []).append((got["median_us"], got["p99_us"]))
    print(
        f"  round {index + 1} {label:10} echo median {got['median_us']:,.0f} µs, "
        f"p99 {got['p99_us']:,.0f} µs",
        file=sys.stderr,
        flush=True,
    )


def run(quick: bool = False, frameworks: list[str] | None = None) -> RealtimeResult:
    """Start every server, check it, measure what it holds, then the interleaved rounds."""
    settings = QUICK if quick else FULL
    labels = frameworks or list(FRAMEWORKS)
    result = RealtimeResult(settings, labels)
    with tempfile.TemporaryDirectory(prefix="mvcpy-rt-bench-") as tmp:
        servers = [RealtimeServer(label, FRAMEWORKS[label], Path(tmp)) for label in labels]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_ready()
                server.load({"mode": "check"})
            for server in servers:
                got = server.load({"mode": "hold", "steps": list(settings.hold_steps)})
                result.hold[server.label] = got
                top = got["steps"][-1] if got["steps"] else {"connections": 0, "rss_kib": 0}
                print(
                    f"  hold {server.label:10} {top['connections']:,} connections, RSS "
                    f"{got['baseline_kib'] / 1024:.1f} -> {top['rss_kib'] / 1024:.1f} MiB, "
                    f"broadcast reached {got['broadcast_reached']:,} {got['error']}",
                    file=sys.stderr,
                    flush=True,
                )
                time.sleep(1.0)
            for index in range(settings.rounds):
                result.load.append(load_average())
                shift = index % len(servers)
                for server in servers[shift:] + servers[:shift]:
                    _round(server, settings, result, index)
            for server in servers:
                if server.process is not None and server.process.poll() is not None:
                    result.warnings.append(f"{server.label} exited during the run")
        finally:
            for server in servers:
                server.stop()
    return result


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv).markdown())
