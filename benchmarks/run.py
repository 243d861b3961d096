"""Run mvcpy's benchmark suites and write ``benchmarks/results/latest.md``.

    python benchmarks/run.py                                  # every suite
    python benchmarks/run.py --quick                          # every suite, smaller
    python benchmarks/run.py --suite inprocess,router,wire,profile,steps   # core, ~12 min
    python benchmarks/run.py --suite inprocess,router,wire,profile,steps --quick  # ~2 min
    python benchmarks/run.py --suite inprocess,router,wire --quick
    python benchmarks/run.py --suite wire --frameworks "mvcpy (async),Starlette (async)"

Suites: ``inprocess`` (ASGI app called directly), ``router`` (route-table match at
10 / 1,000 / 10,000 routes), ``wire`` (uvicorn + wrk), ``profile`` (cProfile of mvcpy),
``steps`` (each step of mvcpy's request path timed alone), ``orm`` (database endpoints
beside Flask, FastAPI and Django on SQLite and PostgreSQL), ``views`` (a realistic
templated page beside Flask and Django; url_for; a cold worker's first render),
``filters`` (each built-in filter's cost in process; the four everyday ones over the wire
beside Starlette and Litestar), ``request_data`` (a validated JSON POST beside FastAPI and
Litestar; a multipart upload and a file download beside Starlette, with peak memory),
``sessions`` (a page that reads and writes the session, per backend, beside Flask's
cookie session and Django's database and cache sessions), ``realtime`` (WebSocket
connections held and memory per connection, broadcast fan-out to 100 and 1,000 clients,
echo latency, beside Starlette's WebSocket endpoint and Litestar's channels), ``cache``
(``get`` per backend; a cached page), ``i18n`` (choosing a locale; a translated page),
``jobs`` (what sending a job adds to a request; jobs/s for one worker, beside bare
procrastinate; PostgreSQL), ``ops`` (what ``[metrics]``, ``[ops]`` and ``[tracing]`` add
to a request), ``tfb`` (the TechEmpower test types beside every peer, PostgreSQL).
Benchmarks report numbers; they never assert a timing.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SUITES = (
    "inprocess",
    "router",
    "wire",
    "profile",
    "steps",
    "orm",
    "views",
    "filters",
    "request_data",
    "sessions",
    "realtime",
    "cache",
    "i18n",
    "jobs",
    "ops",
    "tfb",
)
RESULTS = Path(__file__).resolve().parent / "results"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--suite",
        default=",".join(SUITES),
        help=f"comma-separated suites to run (default: all of {','.join(SUITES)})",
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations, shorter runs")
    parser.add_argument(
        "--frameworks", default="", help="wire: comma-separated framework labels (default: all)"
    )
    parser.add_argument("--rounds", type=int, default=0, help="wire: rounds (default 7, quick 3)")
    parser.add_argument(
        "--duration", type=int, default=0, help="wire: seconds per wrk run (default 3, quick 1)"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "latest.md", help="where to write the report"
    )
    args = parser.parse_args(argv)
    args.suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    return args


def _verdict(ok: bool) -> str:
    return "reached" if ok else "NOT reached"


def targets(results: dict[str, Any]) -> list[str]:
    """Read the results against the project's targets; one line per target."""
    from benchmarks.apps.spec import ENDPOINTS
    from benchmarks.router_scaling import CASES, SIZES, TARGET

    lines: list[str] = []
    scaling = results.get("router")
    if scaling is not None:
        for case in CASES:
            ratio = scaling.ratio(SIZES[-1], case)
            lines.append(
                f"Router, {case}: {SIZES[-1]:,} routes at {ratio:.2f}x of {SIZES[0]} "
                f"(target <= {TARGET}x): {_verdict(ratio <= TARGET)}"
            )
    wire = results.get("wire")
    if wire is not None:
        try:
            lines += _wire_targets(wire, list(ENDPOINTS))
        except (KeyError, ValueError, ZeroDivisionError) as exc:  # a framework lost every round
            lines.append(f"Wire targets could not be read: {type(exc).__name__}: {exc}")
    return lines


def _wire_targets(wire: Any, endpoints: list[str]) -> list[str]:
    """The over-the-wire targets: ratio of medians, and the paired (same round) median ratio."""
    mvcpy, sync, starlette_sync = "mvcpy (async)", "mvcpy (sync)", "Starlette (sync)"
    peers = [f for f in wire.frameworks if f not in ("raw ASGI", mvcpy, sync)]
    lines: list[str] = []
    for endpoint in endpoints:
        if mvcpy in wire.frameworks:
            ratio = wire.ratio(mvcpy, endpoint)
            paired = wire.paired_ratio(mvcpy, "raw ASGI", endpoint)
            lines.append(
                f"Wire {endpoint}: mvcpy (async) at {ratio:.0%} of raw ASGI (paired per "
                f"round: {paired:.0%}) (target >= 85%): {_verdict(ratio >= 0.85)}"
            )
            if peers:
                ours = wire.rps(mvcpy, endpoint)
                best = max(peers, key=lambda f: wire.rps(f, endpoint))
                theirs = wire.rps(best, endpoint)
                paired = wire.paired_ratio(mvcpy, best, endpoint)
                lines.append(
                    f"Wire {endpoint}: mvcpy (async) {ours:,.0f} req/s vs the best peer, "
                    f"{best}, {theirs:,.0f}: {ours / theirs:.2f}x (paired per round: "
                    f"{paired:.2f}x) (target: ahead of every peer): {_verdict(ours > theirs)}"
                )
        if sync in wire.frameworks and starlette_sync in wire.frameworks:
            ours = wire.rps(sync, endpoint)
            theirs = wire.rps(starlette_sync, endpoint)
            lines.append(
                f"Wire {endpoint}: mvcpy (sync) {ours:,.0f} req/s vs Starlette (sync) "
                f"{theirs:,.0f}: {ours / theirs:.2f}x (target: ahead): {_verdict(ours > theirs)}"
            )
    return lines


def _samples(results: dict[str, Any]) -> dict[str, Any]:
    """Every raw sample, for ``latest.json``."""
    out: dict[str, Any] = {}
    for suite in ("inprocess", "router", "wire"):
        result = results.get(suite)
        if result is not None:
            out[suite] = {" | ".join(map(str, k)): v for k, v in result.samples.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites, print the report and write it to ``--output``."""
    from benchmarks import (
        cache,
        filters,
        i18n,
        inprocess,
        jobs,
        ops,
        orm,
        profile_mvcpy,
        realtime,
        request_data,
        router_scaling,
        sessions,
        steps,
        tfb,
        views,
        wire,
    )
    from benchmarks.common import machine_info, markdown_table

    args = _parse(argv)
    command = "python benchmarks/run.py" + (" " + shlex.join(argv or sys.argv[1:])).rstrip()
    started = time.monotonic()
    header = [
        "# mvcpy benchmark results",
        "",
        f"Command: `{command}`",
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        markdown_table(["machine", "value"], machine_info()),
    ]
    results: dict[str, Any] = {}
    sections: list[str] = []
    for suite in args.suites:
        print(f"== {suite}", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        if suite == "inprocess":
            result: Any = inprocess.run(args.quick)
        elif suite == "router":
            result = router_scaling.run(args.quick)
        elif suite == "wire":
            frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()] or None
            result = wire.run(args.quick, frameworks, args.rounds or None, args.duration or None)
        elif suite == "orm":
            result = orm.run(args.quick)
        elif suite == "profile":
            result = profile_mvcpy.run(args.quick)
        elif suite == "views":
            result = views.run(args.quick)
        elif suite == "filters":
            result = filters.run(args.quick)
        elif suite == "request_data":
            result = request_data.run(args.quick)
        elif suite == "sessions":
            result = sessions.run(args.quick)
        elif suite == "realtime":
            result = realtime.run(args.quick)
        elif suite == "cache":
            result = cache.run(args.quick)
        elif suite == "i18n":
            result = i18n.run(args.quick)
        elif suite == "jobs":
            result = jobs.run(args.quick)
        elif suite == "ops":
            result = ops.run(args.quick)
        elif suite == "tfb":
            result = tfb.run(args.quick)
        else:
            result = steps.run(args.quick)
        results[suite] = result
        took = time.monotonic() - t0
        sections.append(f"## {suite} ({took:.0f} s)\n\n{result.markdown()}")
        print(f"   {suite} took {took:.0f} s", file=sys.stderr, flush=True)
    verdicts = targets(results)
    if "orm" in results:
        verdicts += results["orm"].targets()
    if "views" in results:
        verdicts += results["views"].targets()
    if "filters" in results and results["filters"].wire:
        verdicts += results["filters"].targets()
    if verdicts:
        sections.append("## Targets\n\n" + "\n".join(f"- {line}" for line in verdicts))
    total = time.monotonic() - started
    report = "\n".join(header) + "\n\n" + "\n\n".join(sections) + f"\n\nTotal: {total:.0f} s\n"
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    args.output.with_suffix(".json").write_text(json.dumps(_samples(results), indent=1))
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
