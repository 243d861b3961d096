"""Where a real-time server spends a broadcast: py-spy on it during one fan-out.

    python -m benchmarks.rt_profile                       # mvcpy, 1,000 members x 100
    python -m benchmarks.rt_profile --framework Starlette --members 100 --messages 1000

The server runs as in the ``realtime`` suite (uvicorn on CPU 0, the load generator on
CPU 1). The members connect first; ``py-spy record`` then attaches to the server for the
broadcast alone (sampling at 1 kHz, idle samples left out), and the samples are ranked
by self time and by inclusive time per function.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO_ROOT, markdown_table
from benchmarks.realtime import FRAMEWORKS, SIZE, RealtimeServer
from benchmarks.wire import CLIENT_CPU

__all__ = ["main", "profile", "rank"]

_LINE = re.compile(r":\d+\)")
_PREFIXES = re.compile(r"\S*/site-packages/|\S*/lib/python3\.\d+/|" + re.escape(f"{REPO_ROOT}/"))


def rank(raw: str, top: int = 20) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """Rank py-spy's raw (collapsed) stacks: total samples, (function, share) by self and by
    inclusive time."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_PREFIXES.sub("", _LINE.sub(")", f)) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    share = 1 / total if total else 0.0
    return (
        total,
        [(f, c * share) for f, c in own.most_common(top)],
        [(f, c * share) for f, c in inclusive.most_common(top)],
    )


def profile(framework: str, members: int, messages: int, top: int = 20) -> str:
    """Profile one fan-out of ``framework``; return the report as markdown."""
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        raise RuntimeError("py-spy is not installed (pip install -e '.[bench]')")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory(prefix="mvcpy-rt-profile-") as tmp:
        server = RealtimeServer(framework, FRAMEWORKS[framework], Path(tmp))
        raw = Path(tmp) / "stacks.txt"
        try:
            server.start()
            server.wait_ready()
            spec = {"mode": "fanout", "clients": members, "messages": messages, "size": SIZE}
            spec.update(port=server.port, pid=server.pid, gate=True)
            command = ["taskset", "-c", CLIENT_CPU, sys.executable, "-m", "benchmarks.rt_client"]
            client = subprocess.Popen(
                [*command, json.dumps(spec)],
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            )
            assert client.stdin is not None and client.stdout is not None
            if client.stdout.readline().strip() != "connected":
                raise RuntimeError("the load generator did not connect its members")
            record = [
                spy, "record", "-p", str(server.pid), "-r", "1000", "-f", "raw",
                "-o", str(raw), "--nonblocking",
            ]  # fmt: skip
            recorder = subprocess.Popen(
                record, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(1.0)  # py-spy attaches
            client.stdin.write("go\n")
            client.stdin.flush()
            result = json.loads(client.stdout.readlines()[-1])
            client.wait(timeout=60)
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
        finally:
            server.stop()
        total, own, inclusive = rank(raw.read_text(), top)
    rate = result["delivered"] / result["seconds"]
    head = (
        f"{framework}: {members:,} members x {messages:,} messages, {rate:,.0f} msg/s under "
        f"py-spy, {total:,} samples (1 kHz, busy only)."
    )
    return "\n\n".join(
        [
            head,
            "By self time:",
            markdown_table(["function", "share"], [(f, f"{s:.1%}") for f, s in own]),
            "By inclusive time:",
            markdown_table(["function", "share"], [(f, f"{s:.1%}") for f, s in inclusive]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, profile, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", default="mvcpy", choices=list(FRAMEWORKS))
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    print(profile(args.framework, args.members, args.messages, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
