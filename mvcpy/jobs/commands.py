"""``mvcpy worker`` and ``mvcpy jobs list | retry ID | cancel ID``.

Imported by the CLI before any project is loaded, so procrastinate is imported only when a
command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mvcpy.components import CommandContext
    from mvcpy.jobs.engine import JobEngine

__all__ = ["configure_jobs", "configure_worker", "run_jobs", "run_worker"]

#: what ``mvcpy jobs list --status`` accepts: procrastinate's states, and scheduled (a
#: waiting job whose time has not come)
STATUSES = ("todo", "scheduled", "doing", "failed", "succeeded", "cancelled", "aborted")


def configure_worker(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``mvcpy worker``."""
    from mvcpy._help import examples

    for key, value in examples(
        "mvcpy worker                    # every queue, [jobs] concurrency jobs at once",
        "mvcpy worker -c 8 -q mail -q default",
        "mvcpy worker --burst            # run what is queued, then exit",
    ).items():
        setattr(parser, key, value)
    parser.add_argument(
        "-c", "--concurrency", type=int, help="jobs run at once (default: [jobs] concurrency)"
    )
    parser.add_argument(
        "-q",
        "--queue",
        action="append",
        default=[],
        help="a queue to take jobs from; repeat for several (default: [jobs] queues, or all)",
    )
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")


def _engine(context: CommandContext) -> tuple[Any, JobEngine] | None:
    app = context.load_app()
    engine: JobEngine = app.services["jobs"]
    if engine.backend != "postgres":
        print(
            f"mvcpy: [jobs] backend is {engine.backend}: jobs wait in a server's memory, "
            "where no other process reaches them (`mvcpy run` runs them itself). Workers "
            "need the postgres backend: [database] url = 'postgresql+psycopg://...'",
            file=sys.stderr,
        )
        return None
    return app, engine


def run_worker(context: CommandContext) -> int:
    """Run ``mvcpy worker``: the app's startup, then jobs until stopped."""
    found = _engine(context)
    if found is None:
        return 2
    app, engine = found
    concurrency = context.args.concurrency
    if concurrency is not None and concurrency < 1:
        print("mvcpy: --concurrency must be 1 or more", file=sys.stderr)
        return 2

    async def work() -> None:
        await app.startup()
        try:
            await engine.work(
                concurrency=concurrency, queues=context.args.queue, wait=not context.args.burst
            )
        finally:
            await app.shutdown()

    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop at once
        asyncio.run(work())
    return 0


def configure_jobs(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``mvcpy jobs``."""
    from mvcpy._help import examples

    for key, value in examples(
        "mvcpy jobs                      # the jobs not done yet",
        "mvcpy jobs list --status failed # the dead letters",
        "mvcpy jobs retry 42             # queue job 42 again, now",
        "mvcpy jobs cancel 43            # a job that has not started",
    ).items():
        setattr(parser, key, value)
    parser.add_argument("action", nargs="?", default="list", choices=("list", "retry", "cancel"))
    parser.add_argument("id", nargs="?", type=int, help="the job's id (retry, cancel)")
    parser.add_argument("--status", choices=STATUSES, help="only jobs in this state")
    parser.add_argument("--queue", help="only jobs of this queue")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")


def run_jobs(context: CommandContext) -> int:
    """Run ``mvcpy jobs ACTION``."""
    args = context.args
    if args.action == "list" and args.id is not None:
        print("mvcpy jobs list takes no id (use --status, --queue)", file=sys.stderr)
        return 2
    if args.action != "list" and args.id is None:
        print(f"mvcpy jobs {args.action} needs the job's id", file=sys.stderr)
        return 2
    found = _engine(context)
    if found is None:
        return 2
    _, engine = found
    return asyncio.run(_jobs(engine, args))


async def _jobs(engine: JobEngine, args: argparse.Namespace) -> int:
    from procrastinate import exceptions

    papp = engine.procrastinate()
    async with papp.open_async():
        manager = papp.job_manager
        if args.action == "retry":
            try:
                await manager.retry_job_by_id_async(args.id, dt.datetime.now(dt.UTC))
            except exceptions.ConnectorException:
                print(f"mvcpy: job {args.id} is not failed or waiting", file=sys.stderr)
                return 1
            print(f"job {args.id} queued again")
            return 0
        if args.action == "cancel":
            if not await manager.cancel_job_by_id_async(args.id):
                print(f"mvcpy: job {args.id} is not waiting (running or done)", file=sys.stderr)
                return 1
            print(f"job {args.id} cancelled")
            return 0
        rows = await manager.list_jobs_async(
            queue=args.queue, status="todo" if args.status == "scheduled" else args.status
        )
    now = dt.datetime.now(dt.UTC)
    shown = [row for row in rows if _state(row, now) == args.status or (
        args.status is None and row.status in ("todo", "doing", "failed"))]  # fmt: skip
    shown.sort(key=lambda row: row.id or 0, reverse=True)
    print(f"{'ID':>8}  {'STATE':<10} {'QUEUE':<12} {'TRIES':>5}  {'RUN AT':<20} JOB")
    for row in shown[: args.limit]:
        at = row.scheduled_at.strftime("%Y-%m-%d %H:%M:%S") if row.scheduled_at else ""
        print(
            f"{row.id:>8}  {_state(row, now):<10} {row.queue:<12} {row.attempts:>5}  "
            f"{at:<20} {row.call_string}"
        )
    if len(shown) > args.limit:
        print(f"... and {len(shown) - args.limit} more (--limit)")
    return 0


def _state(row: Any, now: dt.datetime) -> str:
    if row.status == "todo" and row.scheduled_at is not None and row.scheduled_at > now:
        return "scheduled"
    return str(row.status)
