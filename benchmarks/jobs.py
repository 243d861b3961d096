"""Background jobs on PostgreSQL: what sending a job adds to a request, and how many jobs
one worker runs per second, beside bare procrastinate doing the same.

- **Enqueue cost.** ``GET /order`` writes one row; ``GET /order-with-job`` writes the row
  and sends a job, which mvcpy writes into the same transaction at commit. Both are
  called in process (the ASGI app, no sockets), interleaved, many times; the difference
  of the medians is what a send costs a request. Beside it, procrastinate's own
  ``task.defer()`` (a statement in a transaction of its own, from its connection pool).
- **Throughput.** N no-op jobs are queued, then one worker runs until the queue is empty
  (``mvcpy worker --burst``, concurrency 1 and 4); jobs/s for mvcpy's sync and async
  jobs beside a bare procrastinate app with the same no-op tasks.

The tables live in a schema of their own, dropped at the end. No timing is asserted.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import load_average, markdown_table, median, new_event_loop
from benchmarks.driver import start_lifespan, time_requests_ns

__all__ = ["JobsResult", "run"]

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PATHS = ("/order", "/order-two-rows", "/order-with-job")


@dataclass
class JobsResult:
    """Samples: µs per request by endpoint, µs per bare defer, jobs/s by (runner, concurrency)."""

    request_us: dict[str, list[float]] = field(default_factory=dict)
    defer_us: list[float] = field(default_factory=list)
    jobs_per_s: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    requests: int = 0
    jobs: int = 0
    load: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """Both tables."""
        plain = median(self.request_us["/order"])
        two = median(self.request_us["/order-two-rows"])
        sending = median(self.request_us["/order-with-job"])
        first = markdown_table(
            ["what", "µs"],
            [
                ["request: write a row (`/order`)", f"{plain:.0f}"],
                ["request: write two rows (`/order-two-rows`)", f"{two:.0f}"],
                ["one more INSERT in the transaction", f"{two - plain:.0f}"],
                ["request: write a row and send a job (`/order-with-job`)", f"{sending:.0f}"],
                ["**a send, inside the request's transaction**", f"**{sending - plain:.0f}**"],
                [
                    "procrastinate `task.defer()`, its own transaction",
                    f"{median(self.defer_us):.0f}",
                ],
            ],
        )
        rows = []
        for (runner, concurrency), samples in self.jobs_per_s.items():
            rows.append([runner, concurrency, f"{median(samples):,.0f}"])
        second = markdown_table(["worker", "concurrency", "jobs/s"], rows)
        return (
            f"Enqueue cost: median of interleaved runs x {self.requests:,} requests, in "
            f"process\n\n{first}\n\nOne worker, {self.jobs:,} no-op jobs queued then run "
            f"(median jobs/s)\n\n{second}\n\nload average: {', '.join(self.load)}"
        )


@contextmanager
def _schema() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"bench_jobs_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _prepare(url: str) -> None:
    from sqlalchemy import create_engine

    from benchmarks.apps.jobs_mvcpy import metadata
    from mvcpy.jobs import schema

    engine = create_engine(url)
    with engine.begin() as connection:
        schema.install(connection)
        metadata.create_all(connection)
    engine.dispose()


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


async def _clear(url: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(_libpq(url), autocommit=True) as conn:
        await conn.execute("TRUNCATE procrastinate_jobs CASCADE")


async def _request_costs(app: Any, iterations: int, rounds: int, result: JobsResult) -> None:
    shutdown = await start_lifespan(app)
    try:
        for path in PATHS:  # warm up: pools, statement caches
            await time_requests_ns(app, path, 50)
        for _ in range(rounds):
            for path in PATHS:
                ns = await time_requests_ns(app, path, iterations)
                result.request_us.setdefault(path, []).append(ns / 1000)
    finally:
        await shutdown()


def _bare_defer(url: str, iterations: int, rounds: int, result: JobsResult) -> None:
    import procrastinate

    bare = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=_libpq(url)))

    @bare.task(name="bench.bare_noop")
    def bare_noop(n: int) -> None:
        pass

    with bare.open():
        for _ in range(10):
            bare_noop.defer(n=1)
        for _ in range(rounds):
            start = time.perf_counter_ns()
            for _ in range(iterations):
                bare_noop.defer(n=1)
            result.defer_us.append((time.perf_counter_ns() - start) / iterations / 1000)


async def _mvcpy_throughput(app: Any, name: str, jobs: int, concurrency: int) -> float:
    engine = app.services["jobs"]
    papp = engine.procrastinate()
    async with papp.open_async():
        await papp.tasks[name].batch_defer_async(*({"n": i} for i in range(jobs)))
    start = time.perf_counter()
    await engine.work(concurrency=concurrency, wait=False, install_signal_handlers=False)
    return jobs / (time.perf_counter() - start)


async def _bare_throughput(url: str, is_async: bool, jobs: int, concurrency: int) -> float:
    import procrastinate

    bare = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=_libpq(url)))
    if is_async:

        @bare.task(name="bench.noop")
        async def noop(n: int) -> None:
            pass

    else:

        @bare.task(name="bench.noop")
        def noop(n: int) -> None:
            pass

    async with bare.open_async():
        await noop.batch_defer_async(*({"n": i} for i in range(jobs)))
        start = time.perf_counter()
        await bare.run_worker_async(
            concurrency=concurrency, wait=False, install_signal_handlers=False
        )
        return jobs / (time.perf_counter() - start)


def run(quick: bool = False) -> JobsResult:
    """Measure both; the database is the local PostgreSQL."""
    from benchmarks.apps.jobs_mvcpy import make_app

    iterations, rounds, jobs = (300, 3, 300) if quick else (2000, 7, 2000)
    result = JobsResult(requests=iterations, jobs=jobs)
    result.load.append(load_average())
    with _schema() as url, tempfile.TemporaryDirectory() as root:
        _prepare(url)
        app = make_app(Path(root), url)
        loop = new_event_loop()
        try:
            loop.run_until_complete(_request_costs(app, iterations, rounds, result))
            _bare_defer(url, iterations, rounds, result)
            runners: dict[str, Callable[[int], Any]] = {
                "mvcpy, sync job": lambda c: _mvcpy_throughput(
                    app, "benchmarks.apps.jobs_mvcpy.noop_sync", jobs, c
                ),
                "mvcpy, async job": lambda c: _mvcpy_throughput(
                    app, "benchmarks.apps.jobs_mvcpy.noop_async", jobs, c
                ),
                "procrastinate, sync task": lambda c: _bare_throughput(url, False, jobs, c),
                "procrastinate, async task": lambda c: _bare_throughput(url, True, jobs, c),
            }
            labels = list(runners)
            for round_ in range(rounds if not quick else 1):
                order = labels[round_ % len(labels) :] + labels[: round_ % len(labels)]
                for concurrency in (1, 4):
                    for label in order:  # interleaved, in a different order each round
                        runner = runners[label]
                        loop.run_until_complete(_clear(url))
                        rate = loop.run_until_complete(runner(concurrency))
                        result.jobs_per_s.setdefault((label, concurrency), []).append(rate)
            loop.run_until_complete(app.database.dispose())
            loop.run_until_complete(app.services["jobs"].stop())
        finally:
            loop.close()
    result.load.append(load_average())
    return result


if __name__ == "__main__":
    import sys

    print(run(quick="--quick" in sys.argv).markdown())
