"""A soak: a generated project under saturation for minutes, its workers' memory sampled.

    python -m benchmarks.soak                  # 10 minutes, PostgreSQL and Redis sessions
    python -m benchmarks.soak --minutes 2      # a shorter look

The project is what a user deploys: ``mvcpy new soak``, ``mvcpy generate scaffold post
title:str body:text``, migrated, 50 posts seeded, served by ``mvcpy serve`` (gunicorn,
2 workers, prod) on PostgreSQL (a schema of its own) with Redis sessions when both
answer, else SQLite and cookie sessions. ``wrk`` (one thread, 64 connections) loads it
for the whole run, its requests spread over the list page, a post's page and the new-
post form (which writes a CSRF token into the session). Each worker's resident memory
(``VmRSS``) is read every minute; the report gives the samples and the growth after the
first minute (warm-up: imports, template compilation, pools).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.common import markdown_table

__all__ = ["main", "soak"]

WRK_SCRIPT = """
local paths = {"/posts", "/posts/7", "/posts/new", "/posts?page=2"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""
SEED = """
from soak.models.post import Post


def seed(db):
    db.add_all(Post(title=f"Post {i}", body="Body " * 40) for i in range(50))
"""


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def _project(root: Path, env: dict[str, str]) -> Path:
    mvcpy = str(Path(sys.executable).parent / "mvcpy")
    subprocess.run([mvcpy, "new", "soak", "--dir", str(root)], check=True, env=env)
    run = {"cwd": root, "check": True, "env": env, "capture_output": True}
    subprocess.run([mvcpy, "generate", "scaffold", "post", "title:str", "body:text"], **run)
    (root / "soak" / "seeds.py").write_text(SEED)
    subprocess.run([mvcpy, "db", "upgrade"], **run)
    subprocess.run([mvcpy, "db", "seed"], **run)
    return root


def soak(minutes: int = 10) -> str:
    """Run the soak; return its report (markdown)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}
    env.update(MVCPY_ENV="prod", MVCPY_SECRET_KEY="soak-" + "k" * 40)
    env["MVCPY_ALLOWED_HOSTS"] = '["127.0.0.1"]'
    env["MVCPY_SESSION__SECURE"] = "false"  # plain HTTP on loopback
    schema = f"soak_{uuid.uuid4().hex[:10]}"
    postgres = _reachable(5432) and _reachable(6379)
    if postgres:
        from sqlalchemy import create_engine, text

        url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        env["MVCPY_DATABASE__URL"] = f"{url}?options=-csearch_path%3D{schema}"
        env["MVCPY_SESSION__BACKEND"] = "redis"
        env["MVCPY_SESSION__REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["MVCPY_SESSION__REDIS_PREFIX"] = f"{schema}:"
    root = Path(tempfile.mkdtemp(prefix="mvcpy-soak-")) / "soak"
    port = _free_port()
    server = None
    samples: list[tuple[int, list[int]]] = []
    try:
        _project(root, {**env, "MVCPY_ENV": "dev"} if not postgres else env)
        mvcpy = str(Path(sys.executable).parent / "mvcpy")
        server = subprocess.Popen(
            ["taskset", "-c", "0", mvcpy, "serve", "--workers", "2", "--bind",
             f"127.0.0.1:{port}", "--", "--log-level", "warning"],
            cwd=root, env={**env, "WEB_CONCURRENCY": "2"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not _reachable(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        script = root / "paths.lua"
        script.write_text(WRK_SCRIPT)
        load = subprocess.Popen(
            ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{minutes * 60 + 5}s",
             "-s", str(script), f"http://127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        for minute in range(minutes + 1):
            samples.append((minute, [_rss_kib(pid) for pid in _workers(server.pid)]))
            if minute < minutes:
                time.sleep(60)
        output, _ = load.communicate(timeout=120)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if postgres:
            from sqlalchemy import create_engine, text

            engine = create_engine(
                "postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT"
            )
            with engine.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            import redis

            client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
            keys = client.keys(f"{schema}:*")
            stored = len(keys)
            if keys:
                client.delete(*keys)
        shutil.rmtree(root.parent, ignore_errors=True)
    rows = []
    for minute, rss in samples:
        rows.append([str(minute), *(f"{kib / 1024:.1f}" for kib in rss)])
    first = samples[1][1] if len(samples) > 1 else samples[0][1]
    last = samples[-1][1]
    growth = ", ".join(f"{(b - a) / 1024:+.1f} MiB" for a, b in zip(first, last, strict=False))
    table = markdown_table(
        ["minute", *(f"worker {i + 1} RSS MiB" for i in range(len(samples[0][1])))], rows
    )
    summary = [
        line for line in output.splitlines() if "Requests/sec" in line or "requests in" in line
    ]
    where = "PostgreSQL + Redis sessions" if postgres else "SQLite + cookie sessions"
    stored_line = f"; Redis session keys left: {stored}" if postgres else ""
    return (
        f"{where}, {minutes} min under wrk -c64: {' / '.join(s.strip() for s in summary)}"
        f"{stored_line}\n\n{table}\n\nGrowth from minute 1 to minute {minutes}: {growth}\n"
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.soak [--minutes N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args(argv)
    print(soak(args.minutes))


if __name__ == "__main__":
    main()
