"""The views benchmark: a realistic page rendered by mvcpy, Flask (Jinja) and Django.

The page (``benchmarks/templates``): a 3-level layout, a navigation of 10 ``url_for``
links, and a loop of 100 rows, each a macro call (Django: an include) with a link and a
filter. Reported, in one run:

- in-process, per framework: the whole request through the app (ASGI or WSGI called
  directly) and the render alone, in µs (median of repeats);
- the cost of one ``url_for`` (Flask ``url_for``, Django ``reverse``);
- a cold worker's first render: a fresh process renders the page once, with the bytecode
  cache on disk warm and, for comparison, cold (median of several processes);
- over the wire: mvcpy under uvicorn (one worker), Flask and Django under gunicorn
  (one ``gthread`` worker, 8 threads), each loaded by ``wrk -t1 -c64`` (server on CPU 0,
  client on CPU 1), frameworks interleaved per round; median req/s.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.apps.views_spec import CONTEXT, PAGE, check_page
from benchmarks.common import REPO_ROOT, markdown_table, median, new_event_loop
from benchmarks.driver import call_once, make_scope, start_lifespan, time_requests_ns
from benchmarks.wire import CLIENT_CPU, HOST, SERVER_CPU, _free_port, _get, run_wrk

__all__ = ["ViewsResult", "run"]

TEMPLATE = "views_page/index.html"
URL_TARGET_US = 2.0
COLD_TARGET_MS = 20.0

#: Label -> command line (after ``taskset -c 0``) serving the page on ``{port}``.
SERVERS: dict[str, list[str]] = {
    "mvcpy (sync)": [
        sys.executable, "-m", "uvicorn", "benchmarks.apps.views_mvcpy:app", "--loop", "uvloop",
        "--http", "httptools", "--log-level", "warning", "--no-access-log",
        "--host", HOST, "--port", "{port}",
    ],
    "mvcpy (async)": [
        sys.executable, "-m", "uvicorn", "benchmarks.apps.views_mvcpy:app_async",
        "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
        "--no-access-log", "--host", HOST, "--port", "{port}",
    ],
    "Flask": [
        sys.executable, "-m", "gunicorn", "benchmarks.apps.views_flask:app", "-w", "1",
        "-k", "gthread", "--threads", "8", "--log-level", "warning", "-b", f"{HOST}:{{port}}",
    ],
    "Django": [
        sys.executable, "-m", "gunicorn", "benchmarks.apps.views_django:application", "-w", "1",
        "-k", "gthread", "--threads", "8", "--log-level", "warning", "-b", f"{HOST}:{{port}}",
    ],
}  # fmt: skip


@dataclass
class ViewsResult:
    """Every measurement of the views suite."""

    request_us: dict[str, float]
    render_us: dict[str, float]
    url_for_us: dict[str, float]
    cold_ms: dict[str, float]
    request_cpu_us: dict[str, float] = field(default_factory=dict)
    wire_rps: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> dict[tuple[str, str], list[float]]:
        """Raw wire samples, for ``latest.json``."""
        return {(label, "page"): values for label, values in self.wire_rps.items()}

    def rps(self, label: str) -> float:
        """Median req/s over the wire."""
        return median(self.wire_rps[label])

    def markdown(self) -> str:
        """The result as markdown tables."""
        flask = self.render_us.get("Flask")
        rows = []
        for label in self.render_us:
            ratio = f"{flask / self.render_us[label]:.2f}x" if flask else "-"
            cpu = self.request_cpu_us.get(label)
            rows.append(
                [
                    label,
                    f"{self.request_us[label]:.0f}",
                    "-" if cpu is None else f"{cpu:.0f}",
                    f"{self.render_us[label]:.0f}",
                    ratio,
                ]
            )
        parts = [
            "In-process, the page through the app and the render alone "
            "(µs, median; lower is better):",
            markdown_table(
                ["framework", "request µs", "request CPU µs", "render µs", "render speed vs Flask"],
                rows,
            ),
            "One `url_for` (best of 7):",
            markdown_table(["call", "µs"], [[k, f"{v:.2f}"] for k, v in self.url_for_us.items()]),
            "A cold worker's first render (fresh process, imports done; median ms):",
            markdown_table(["case", "ms"], [[k, f"{v:.1f}"] for k, v in self.cold_ms.items()]),
        ]
        if self.wire_rps:
            best = max(self.wire_rps, key=self.rps)
            wire_rows = [
                [label, f"{self.rps(label):,.0f}", f"{self.rps(label) / self.rps(best):.2f}"]
                for label in self.wire_rps
            ]
            rounds = len(next(iter(self.wire_rps.values())))
            parts += [
                f"Over the wire, the page (median req/s of {rounds} rounds; higher is better):",
                markdown_table(["framework", "req/s", "x best"], wire_rows),
            ]
        parts += self.notes
        return "\n\n".join(parts)

    def targets(self) -> list[str]:
        """The issue's targets, each with its verdict."""
        lines = []
        for label in ("mvcpy (sync)", "mvcpy (async)"):
            if label in self.wire_rps and "Flask" in self.wire_rps:
                ours, theirs = self.rps(label), self.rps("Flask")
                lines.append(
                    f"Views page over the wire: {label} {ours:,.0f} req/s vs Flask "
                    f"{theirs:,.0f} (target: ahead): {_verdict(ours > theirs)}"
                )
        ours, theirs = self.request_us["mvcpy (sync)"], self.request_us["Flask"]
        lines.append(
            f"Views page in-process: mvcpy (sync) request {ours:.0f} µs vs Flask "
            f"{theirs:.0f} µs; render {self.render_us['mvcpy (sync)']:.0f} vs "
            f"{self.render_us['Flask']:.0f} µs (target: ahead): {_verdict(ours < theirs)}"
        )
        url = self.url_for_us["mvcpy app.url_for('product', id=42)"]
        lines.append(
            f"url_for: {url:.2f} µs per call (target < {URL_TARGET_US} µs): "
            f"{_verdict(url < URL_TARGET_US)}"
        )
        cold = self.cold_ms["mvcpy, bytecode cache warm"]
        lines.append(
            f"Cold worker's first render with a warm bytecode cache: {cold:.1f} ms "
            f"(target < {COLD_TARGET_MS:.0f} ms): "
            f"{_verdict(cold < COLD_TARGET_MS)}"
        )
        return lines


def _verdict(ok: bool) -> str:
    return "reached" if ok else "NOT reached"


# -- in-process -------------------------------------------------------------------------
def _best_us(fn: Callable[[], Any], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


#: CPU time (all threads) per request, by framework: robust when the machine is busy.
_CPU_US: dict[str, float] = {}


def _cpu_us(fn: Callable[[], Any], number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number * 1e6


def _median_us(fn: Callable[[], Any], number: int, repeats: int) -> float:
    return median([timeit.timeit(fn, number=number) / number * 1e6 for _ in range(repeats)])


def _mvcpy_ctx(app: Any) -> Any:
    from mvcpy.context import Context
    from mvcpy.http.request import Request

    scope = make_scope(PAGE)
    route, params, miss = app.route_table.match("GET", PAGE, None)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    request = Request(scope, receive, 1 << 20, None)  # type: ignore[arg-type]
    return Context(app, scope, receive, None, request, route, params, miss)  # type: ignore[arg-type]


def _mvcpy(
    number: int, repeats: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    from benchmarks.apps import views_mvcpy

    loop = new_event_loop()
    stops = []
    request: dict[str, float] = {}
    render: dict[str, float] = {}
    urls: dict[str, float] = {}
    try:
        for label, app in (
            ("mvcpy (sync)", views_mvcpy.app),
            ("mvcpy (async)", views_mvcpy.app_async),
        ):
            stops.append(loop.run_until_complete(start_lifespan(app)))
            check_page(loop.run_until_complete(call_once(app, PAGE)).body)
            _CPU_US[label] = (
                median(
                    [
                        _cpu_us(
                            lambda app=app: loop.run_until_complete(  # type: ignore[misc]
                                time_requests_ns(app, PAGE, 20)
                            ),
                            5,
                        )
                        for _ in range(repeats)
                    ]
                )
                / 20
            )
            request[label] = median(
                [
                    loop.run_until_complete(time_requests_ns(app, PAGE, number)) / 1000
                    for _ in range(repeats)
                ]
            )
        app = views_mvcpy.app
        ctx = _mvcpy_ctx(app)
        templates = app.templates
        data = dict(CONTEXT)
        check_page(templates.render(TEMPLATE, data, ctx).encode())
        render["mvcpy (sync)"] = _median_us(
            lambda: templates.render(TEMPLATE, data, ctx), number, repeats
        )
        render["mvcpy (async)"] = median(
            [
                loop.run_until_complete(_time_async(templates, data, ctx, number))
                for _ in range(repeats)
            ]
        )
        urls["mvcpy app.url_for('product', id=42)"] = _best_us(
            lambda: app.url_for("product", id=42), 100_000
        )
        urls["mvcpy ctx.url_for('product', id=42) (controllers)"] = _best_us(
            lambda: ctx.url_for("product", id=42), 100_000
        )
        loop_with = templates.env.from_string(
            "{% for i in r %}{{ url_for('product', id=i) }}{% endfor %}"
        )
        loop_alone = templates.env.from_string("{% for i in r %}{{ i }}{% endfor %}")
        rows = range(1000)
        urls["mvcpy {{ url_for('product', id=i) }} in a template, net of the loop"] = (
            _best_us(lambda: loop_with.render(r=rows, request=ctx.request), 20)
            - _best_us(lambda: loop_alone.render(r=rows), 20)
        ) / 1000
        urls["mvcpy app.url_for('cart')"] = _best_us(lambda: app.url_for("cart"), 100_000)
    finally:
        for stop in stops:
            loop.run_until_complete(stop())
        loop.close()
    return request, render, urls


async def _time_async(templates: Any, data: dict[str, Any], ctx: Any, number: int) -> float:
    clock = timeit.default_timer
    start = clock()
    for _ in range(number):
        await templates.render_async(TEMPLATE, data, ctx)
    return (clock() - start) / number * 1e6


def _wsgi_request(application: Any, number: int, repeats: int) -> tuple[float, float]:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=PAGE, base_url=f"http://{HOST}").get_environ()
    chunks: list[bytes] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        if not status.startswith("200"):
            raise RuntimeError(status)
        return chunks.append

    def call() -> None:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO()
        result = application(env, start_response)
        for chunk in result:
            chunks.append(chunk)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        chunks.clear()

    call()
    cpu = median([_cpu_us(call, number) for _ in range(repeats)])
    return _median_us(call, number, repeats), cpu


def _flask(number: int, repeats: int) -> tuple[float, float, float, float]:
    from flask import render_template, url_for

    from benchmarks.apps.views_flask import app

    request_us, cpu_us = _wsgi_request(app.wsgi_app, number, repeats)
    with app.test_request_context(PAGE):
        check_page(render_template(TEMPLATE, **CONTEXT).encode())
        render_us = _median_us(lambda: render_template(TEMPLATE, **CONTEXT), number, repeats)
        url_us = _best_us(lambda: url_for("product", id=42), 100_000)
    return request_us, cpu_us, render_us, url_us


def _django(number: int, repeats: int) -> tuple[float, float, float, float]:
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.urls import reverse

    from benchmarks.apps.views_django import application

    request_us, cpu_us = _wsgi_request(application, number, repeats)
    request = RequestFactory().get(PAGE)
    check_page(render_to_string(TEMPLATE, CONTEXT, request).encode())
    render_us = _median_us(lambda: render_to_string(TEMPLATE, CONTEXT, request), number, repeats)
    url_us = _best_us(lambda: reverse("product", kwargs={"id": 42}), 100_000)
    return request_us, cpu_us, render_us, url_us


# -- cold worker ----------------------------------------------------------------------------
_COLD = """
import sys, time
sys.path.insert(0, {root!r})
from benchmarks.apps.views_mvcpy import ViewsPageController, build
from benchmarks.apps.views_spec import CONTEXT
app = build(ViewsPageController, bytecode_cache={cache!r})
start = time.perf_counter()
app.templates.render({template!r}, dict(CONTEXT))
print((time.perf_counter() - start) * 1000)
"""


def _cold_ms(cache: str, processes: int) -> float:
    script = _COLD.format(root=str(REPO_ROOT), cache=cache, template=TEMPLATE)
    times = []
    for _ in range(processes):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return median(times)


def _cold(processes: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="mvcpy-bcc-") as cache:
        _cold_ms(cache, 1)  # fills the cache
        warm = _cold_ms(cache, processes)
    return {
        "mvcpy, bytecode cache warm": warm,
        "mvcpy, no bytecode cache (compiles)": _cold_ms("", processes),
    }


# -- over the wire ---------------------------------------------------------------------------
class _Server:
    def __init__(self, label: str, command: list[str], log_dir: Path) -> None:
        self.label = label
        self.port = _free_port()
        self.command = ["taskset", "-c", SERVER_CPU] + [
            part.replace("{port}", str(self.port)) for part in command
        ]
        self.log = log_dir / (re.sub(r"\W+", "_", label).strip("_") + ".log")
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Server:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        for _ in range(600):
            if self.process.poll() is not None:
                break
            try:
                status, body = _get(self.port, PAGE, timeout=1.0)
            except OSError:
                time.sleep(0.1)
                continue
            if status != 200:
                raise RuntimeError(f"{self.label}: status {status}")
            check_page(body)
            return self
        raise RuntimeError(f"{self.label} did not start:\n{self.log.read_text()[-2000:]}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _wire(rounds: int, duration: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {label: [] for label in SERVERS}
    with tempfile.TemporaryDirectory(prefix="mvcpy-views-wire-") as logs:
        servers = [_Server(label, command, Path(logs)) for label, command in SERVERS.items()]
        started: list[_Server] = []
        try:
            for server in servers:
                started.append(server.__enter__())
                run_wrk(f"http://{HOST}:{server.port}{PAGE}", 1)  # warm up
            for number in range(rounds):
                order = started[number % len(started) :] + started[: number % len(started)]
                for server in order:
                    result = run_wrk(f"http://{HOST}:{server.port}{PAGE}", duration)
                    if result.non_2xx:
                        raise RuntimeError(f"{server.label}: {result.non_2xx} non-2xx answers")
                    samples[server.label].append(result.requests_per_second)
        finally:
            for server in started:
                server.__exit__(None, None, None)
    return samples


def run(quick: bool = False, wire: bool = True) -> ViewsResult:
    """Run the views suite (``quick``: fewer iterations and shorter wire rounds)."""
    number, repeats = (100, 5) if quick else (400, 9)
    request, render, urls = _mvcpy(number, repeats)
    for label, measure in (("Flask", _flask), ("Django", _django)):
        request_us, cpu_us, render_us, url_us = measure(number, repeats)
        request[label], render[label], _CPU_US[label] = request_us, render_us, cpu_us
        call = "url_for('product', id=42)" if label == "Flask" else "reverse('product', ...)"
        urls[f"{label} {call}"] = url_us
    result = ViewsResult(request, render, urls, _cold(5 if quick else 11), dict(_CPU_US))
    if wire:
        result.wire_rps = _wire(3 if quick else 5, 2 if quick else 5)
    result.notes.append(
        f"Servers: CPU {SERVER_CPU} (one process each), wrk on CPU {CLIENT_CPU}. "
        "Django has no macros; its rows use an `{% include %}` under the cached loader."
    )
    return result


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    outcome = run(quick="--quick" in sys.argv, wire="--no-wire" not in sys.argv)
    print(outcome.markdown())
    print("\n".join(f"- {line}" for line in outcome.targets()))
