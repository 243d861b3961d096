"""In-process cost of a rendered page with a ``user_loader`` registered and a logged-in user.

Two pages, both for a request carrying a signed session cookie: one that never names
``current_user`` or ``session`` and one that prints ``current_user``. Before the lazy
template context every render loaded the session and the user; now only the page that
names them does. Runs against whichever mvcpy is importable, so that two checkouts can be
compared in one run (``PYTHONPATH=/path/to/other/checkout``).

    python benchmarks/template_context.py [--iterations N] [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from mvcpy import App, Controller


def build(root: Path) -> App:
    """The app: two pages, a login route, a user loader."""
    (root / "views").mkdir()
    (root / "views" / "plain.html").write_text("<h1>{{ title }}</h1><p>{{ body }}</p>")
    (root / "views" / "who.html").write_text("<h1>{{ title }}</h1><p>{{ current_user }}</p>")

    class Pages(Controller):
        def plain(self) -> None:
            self.data.update(title="Hello", body="A page that does not name the user.")
            self.tpl_name = "plain.html"

        def who(self) -> None:
            self.data["title"] = "Who"
            self.tpl_name = "who.html"

        def login(self) -> str:
            self.session["_user_id"] = 7
            return "in"

    app = App(root_path=root, env="test", config={"secret_key": "k" * 32})
    app.router("/plain", Pages, "get:plain")
    app.router("/who", Pages, "get:who")
    app.router("/login", Pages, "get:login")
    app.user_loader(lambda user_id: {"id": user_id, "name": "Ann"})
    return app


def _scope(path: str, cookie: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def _call(app: App, scope: dict[str, Any]) -> tuple[int, list[Any]]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], sent


async def measure(iterations: int, repeats: int) -> dict[str, float]:
    """Return the median µs per request of each page."""
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp))
        app.start()
        _, sent = await _call(app, _scope("/login", b""))
        cookie = next(v for k, v in sent[0]["headers"] if k == b"set-cookie").split(b";")[0]
        results: dict[str, list[float]] = {"plain": [], "who": []}
        for _ in range(repeats):
            for page in results:
                scope = _scope(f"/{page}", cookie)
                status, _ = await _call(app, scope)
                assert status == 200, status
                started = time.perf_counter_ns()
                for _ in range(iterations):
                    await _call(app, scope)
                results[page].append((time.perf_counter_ns() - started) / iterations / 1000)
        return {page: statistics.median(samples) for page, samples in results.items()}


def main() -> None:
    """Print the medians as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.iterations, args.repeats))))


if __name__ == "__main__":
    main()
