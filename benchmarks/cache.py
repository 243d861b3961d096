"""The cache: what one ``get`` costs per backend, and a cached page beside the uncached one.

``get`` (a hit) is timed in process, sync and async, on the memory backend and on Redis
over loopback. The page is a product list rendered from 200 rows (the "query" is a
Python loop that stands in for the database), timed in process through the ASGI app:
uncached, with the list in a ``{% cache %}`` fragment, and through the response cache
filter. Medians of repeated runs.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import markdown_table, median, new_event_loop, time_per_call_ns
from benchmarks.driver import start_lifespan, time_requests_ns

__all__ = ["CacheResult", "run"]

REDIS_URL = "redis://127.0.0.1:6379/0"
ROWS = 200

LIST = (
    "<ul>{% for p in products() %}<li>{{ p.name }} <b>{{ p.price }}</b> {{ p.stock }}</li>"
    "{% endfor %}</ul>"
)
PAGES = {
    "plain.html": "<h1>Products</h1>" + LIST,
    "fragment.html": '<h1>Products</h1>{% cache "products", 60 %}' + LIST + "{% endcache %}",
}


@dataclass
class CacheResult:
    """Median µs per operation or request, by label."""

    get_us: dict[str, float]
    page_us: dict[str, float]

    def markdown(self) -> str:
        """Two tables: ``get`` per backend, then the page three ways."""
        gets = markdown_table(
            ["backend", "get (sync) µs", "aget (async) µs"],
            [
                [backend, f"{self.get_us[f'{backend} sync']:.2f}",
                 f"{self.get_us[f'{backend} async']:.2f}"]
                for backend in ("memory", "redis")
                if f"{backend} sync" in self.get_us
            ],
        )  # fmt: skip
        base = self.page_us["uncached"]
        pages = markdown_table(
            ["page (200 rows)", "µs/request", "x uncached"],
            [[name, f"{us:.1f}", f"{us / base:.2f}x"] for name, us in self.page_us.items()],
        )
        return (
            "`get` of a present key (a dict of 3 fields), in process:\n\n"
            + gets
            + "\n\nA product list page, in process through the ASGI app:\n\n"
            + pages
        )


def _products() -> list[dict[str, Any]]:
    return [{"name": f"product {i}", "price": i * 1.5, "stock": i % 7} for i in range(ROWS)]


def _page_app(root: Path, response_cache: bool) -> Any:
    from mvcpy import App, Controller
    from mvcpy.filters.cache import ResponseCache

    (root / "views").mkdir(parents=True, exist_ok=True)
    for name, text in PAGES.items():
        (root / "views" / name).write_text(text)

    class Products(Controller):
        def plain(self) -> None:
            self.tpl_name = "plain.html"

        def fragment(self) -> None:
            self.tpl_name = "fragment.html"

    app = App(root_path=root, env="prod", config={"secret_key": "k" * 40})
    app.template_global("products")(_products)
    filters = [ResponseCache(60)] if response_cache else []
    app.router("/plain", Products, "get:plain", filters=filters)
    app.router("/fragment", Products, "get:fragment")
    return app


async def _time_gets(iterations: int, repeats: int) -> dict[str, list[float]]:
    from mvcpy.cache import Cache, MemoryBackend
    from mvcpy.cache.redis import RedisBackend

    value = {"id": 1, "title": "hello", "tags": ["a", "b"]}
    caches = {"memory": Cache(MemoryBackend())}
    try:
        caches["redis"] = Cache(RedisBackend(REDIS_URL), prefix=f"bench:{uuid.uuid4().hex}:")
        caches["redis"].set("k", value)
    except Exception:  # no Redis here: the memory row only
        caches.pop("redis", None)
    caches["memory"].set("k", value)
    samples: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, cache in caches.items():
            samples.setdefault(f"{name} sync", []).append(
                time_per_call_ns(lambda cache=cache: cache.get("k"), iterations) / 1000
            )
            start = asyncio.get_running_loop().time()
            for _ in range(iterations):
                await cache.aget("k")
            elapsed = asyncio.get_running_loop().time() - start
            samples.setdefault(f"{name} async", []).append(elapsed / iterations * 1e6)
    for cache in caches.values():
        await cache.aclose()
    return samples


async def _time_pages(iterations: int, repeats: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        plain = _page_app(Path(tmp) / "a", response_cache=False)
        cached = _page_app(Path(tmp) / "b", response_cache=True)
        stops = [await start_lifespan(plain), await start_lifespan(cached)]
        cases = {
            "uncached": (plain, "/plain"),
            "{% cache %} around the list": (plain, "/fragment"),
            "ResponseCache filter": (cached, "/plain"),
        }
        for _ in range(repeats):
            for label, (app, path) in cases.items():
                samples.setdefault(label, []).append(
                    await time_requests_ns(app, path, iterations) / 1000
                )
        for stop in stops:
            await stop()
    return samples


def run(quick: bool = False) -> CacheResult:
    """Time ``get`` per backend and the page three ways."""
    iterations = 2_000 if quick else 20_000
    repeats = 3 if quick else 5
    loop = new_event_loop()
    try:
        gets = loop.run_until_complete(_time_gets(iterations, repeats))
        pages = loop.run_until_complete(_time_pages(iterations // 10, repeats))
    finally:
        loop.close()
    return CacheResult(
        {k: median(v) for k, v in gets.items()}, {k: median(v) for k, v in pages.items()}
    )


if __name__ == "__main__":
    print(run(quick=True).markdown())
