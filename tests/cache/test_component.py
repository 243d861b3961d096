"""The cache in an app: ``app.cache``, ``self.cache``, ``@cached`` actions, ``{% cache %}``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App, ConfigurationError, Controller
from mvcpy.cache import Cache, MemoryBackend, cached
from mvcpy.cli import main
from mvcpy.testing import TestClient


def test_the_app_has_one_cache_for_controllers_and_functions(
    make_app: Callable[..., App],
) -> None:
    class Counter(Controller):
        def bump(self) -> dict[str, Any]:
            return {"hits": self.cache.incr("hits")}

        async def peek(self) -> dict[str, Any]:
            return {"hits": await self.cache.aget("hits")}

    app = make_app()
    app.router("/bump", Counter, "get:bump")
    app.router("/peek", Counter, "get:peek")
    assert isinstance(app.cache, Cache) and isinstance(app.cache.backend, MemoryBackend)
    with TestClient(app) as client:
        client.get("/bump")
        client.get("/bump")
        assert client.get("/peek").json() == {"hits": 2}
    assert app.cache.get("hits") == 2


def test_cached_actions_compute_once_per_arguments(make_app: Callable[..., App]) -> None:
    calls: list[Any] = []

    class Reports(Controller):
        @cached(ttl=60)
        def show(self, year: int) -> dict[str, Any]:
            calls.append(year)
            return {"year": year, "total": year * 2}

        @cached(ttl=60, key=lambda: "summary", tags=["reports"])
        async def summary(self) -> dict[str, Any]:
            calls.append("summary")
            return {"reports": len(calls)}

    app = make_app()
    app.router("/reports/{year:int}", Reports, "get:show")
    app.router("/summary", Reports, "get:summary")
    with TestClient(app) as client:
        assert client.get("/reports/2024").json() == {"year": 2024, "total": 4048}
        assert client.get("/reports/2024").json() == {"year": 2024, "total": 4048}
        client.get("/reports/2025")
        first = client.get("/summary").json()
        assert client.get("/summary").json() == first
        app.cache.invalidate_tags("reports")
        assert client.get("/summary").json() != first
    assert calls == [2024, 2025, "summary", "summary"]


def test_fragments_render_once_per_key(
    make_app: Callable[..., App], views: Callable[[str, str], Path]
) -> None:
    renders: list[str] = []
    views(
        "page.html",
        '<h1>{{ title }}</h1>{% cache "sidebar:" ~ who, 60 %}<aside>{{ slow(who) }}</aside>'
        "{% endcache %}",
    )
    app = make_app()

    @app.template_global
    def slow(who: str) -> str:
        renders.append(who)
        return f"<b>{who}</b>"  # escaped once, when rendered; stored as the escaped HTML

    page = app.templates.render
    assert page("page.html", {"title": "A", "who": "ann"}) == (
        "<h1>A</h1><aside>&lt;b&gt;ann&lt;/b&gt;</aside>"
    )
    assert page("page.html", {"title": "B", "who": "ann"}) == (
        "<h1>B</h1><aside>&lt;b&gt;ann&lt;/b&gt;</aside>"
    )
    page("page.html", {"title": "C", "who": "bob"})
    assert renders == ["ann", "bob"]


def test_cache_settings_are_checked(make_app: Callable[..., App]) -> None:
    with pytest.raises(ConfigurationError, match=r"cache\.backend = 'memcache' is not valid"):
        make_app(cache={"backend": "memcache"})
    with pytest.raises(ConfigurationError, match=r'needs url = "redis://\.\.\."'):
        make_app(cache={"backend": "redis"})
    assert make_app(cache={"backend": "null"}).cache.get_or_set("k", lambda: 1) == 1


def test_mvcpy_check_warns_about_a_memory_cache_behind_several_workers(
    ready_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MVCPY_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MVCPY_ALLOWED_HOSTS", '["example.com"]')
    (ready_project.parent / "gunicorn.conf.py").write_text("workers = 2\n")
    assert main(["check"]) == 0  # a warning, not a failure
    line = _cache_line(capsys.readouterr().out)
    assert line.startswith("WARN") and "2 workers serve" in line and "[prod.cache]" in line
    for name in [m for m in sys.modules if m.startswith("readyproj")]:
        del sys.modules[name]  # as a new process would: the app is built again
    monkeypatch.setenv("MVCPY_CACHE__BACKEND", "null")
    main(["check"])
    assert _cache_line(capsys.readouterr().out).startswith("ok")


def _cache_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.split()[1:2] == ["cache"])
