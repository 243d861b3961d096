"""What the operations features cost a request: the same async JSON endpoint with nothing
on, with ``[metrics]``, with ``[ops]``, with both, and with ``[tracing]`` (in-memory
exporter), called in process (the ASGI app, no sockets), interleaved, median of rounds.

Each configuration has two pass-through filters on its route, so that tracing's span per
filter shows in its cost. No timing is asserted anywhere.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import load_average, markdown_table, median, new_event_loop
from benchmarks.driver import call_once, start_lifespan, time_requests_ns

__all__ = ["OpsResult", "run"]

CONFIGS: dict[str, dict[str, Any]] = {
    "nothing on": {},
    "[metrics]": {"metrics": {"enabled": True}},
    "[ops]": {"ops": {"enabled": True, "permission": ""}},
    "[metrics] + [ops]": {"metrics": {"enabled": True}, "ops": {"enabled": True}},
    "[tracing] (memory exporter)": {"tracing": {"enabled": True, "exporter": "memory"}},
}


@dataclass
class OpsResult:
    """µs per request by configuration."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    iterations: int = 0
    load: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """One row per configuration, with what it adds to nothing on."""
        base = median(self.samples["nothing on"])
        rows = [
            [name, f"{median(values):.1f}", f"{median(values) - base:+.1f}"]
            for name, values in self.samples.items()
        ]
        return (
            markdown_table(["configuration", "µs/request", "added"], rows)
            + f"\n\n{self.iterations} requests a round; load average {', '.join(self.load)}"
        )


def _app(root: Path, config: dict[str, Any]) -> Any:
    from mvcpy import App

    app = App(root_path=root, env="prod", config={"secret_key": "b" * 40, **config})

    async def first(ctx: Any, call_next: Any) -> Any:
        return await call_next(ctx)

    async def second(ctx: Any, call_next: Any) -> Any:
        return await call_next(ctx)

    async def hello(ctx: Any) -> dict[str, str]:
        return {"hello": "world"}

    app.get("/hello", hello, name="hello", filters=[first, second])
    return app


def run(quick: bool = False) -> OpsResult:
    """Time every configuration, interleaved."""
    iterations = 2_000 if quick else 20_000
    rounds = 3 if quick else 7
    result = OpsResult(iterations=iterations)
    loop = new_event_loop()
    with tempfile.TemporaryDirectory() as scratch:
        apps = {}
        stops = []
        for n, (name, config) in enumerate(CONFIGS.items()):
            root = Path(scratch) / str(n)
            root.mkdir()
            app = _app(root, config)
            stops.append(loop.run_until_complete(start_lifespan(app)))
            captured = loop.run_until_complete(call_once(app, "/hello"))
            assert captured.status == 200, (name, captured.status)
            apps[name] = app
        try:
            for _ in range(rounds):
                for name, app in apps.items():
                    ns = loop.run_until_complete(time_requests_ns(app, "/hello", iterations))
                    result.samples.setdefault(name, []).append(ns / 1000)
        finally:
            for stop in stops:
                loop.run_until_complete(stop())
            loop.close()
    result.load.append(load_average())
    return result


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print(run("--quick" in sys.argv).markdown())
