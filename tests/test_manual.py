"""mvcpy's documentation from the installed package: /-/docs/ in development, search,
and ``mvcpy docs PAGE``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mvcpy import App
from mvcpy.cli import main
from mvcpy.manual.pages import Manual
from mvcpy.testing import TestClient


def test_every_page_renders_and_links_to_its_siblings() -> None:
    manual = Manual()
    assert next(iter(manual.pages)) == "getting-started"
    assert {"routing", "views", "i18n", "cache", "architecture"} <= set(manual.pages)
    for name in manual.pages:
        body = manual.render(name, "/-/docs")
        assert body is not None and body.startswith("<h1>"), name
        assert 'href="routing.md' not in body  # links to pages are rewritten
    assert 'href="/-/docs/routing' in (manual.render("getting-started", "/-/docs") or "")


def test_search_finds_pages_by_every_word_and_marks_them() -> None:
    manual = Manual()
    hits = manual.search("Accept-Language cookie")
    assert hits and hits[0].page.name == "i18n"
    best = hits[0].lines[0].lower()  # the line with the most of the words comes first
    assert "<mark>accept</mark>-<mark>language</mark>" in best and "<mark>cookie</mark>" in best
    assert manual.search("zzzz-not-a-word") == []
    shown = [line for hit in manual.search("script") for line in hit.lines]
    assert shown and not any("<script" in line for line in shown)  # the text is escaped


def test_apps_serve_the_docs_in_development_only(make_app: Callable[..., App]) -> None:
    dev = make_app(env="dev")
    with TestClient(dev) as client:
        index = client.get("/-/docs/")
        assert index.status_code == 200 and "Getting started" in index.text
        page = client.get("/-/docs/routing")
        assert page.status_code == 200 and "<h1>Routing" in page.text
        found = client.get("/-/docs/", params={"q": "url_for"})
        assert 'href="/-/docs/routing"' in found.text and "<mark>" in found.text
        assert client.get("/-/docs/no-such-page").status_code == 404
    assert dev.templates.env.globals["manual_url"] == "/-/docs/"
    prod = make_app(env="prod", secret_key="k" * 40)
    assert "manual.index" not in prod.route_table.names
    assert prod.templates.env.globals["manual_url"] is None
    forced = make_app(env="test", docs={"enabled": True, "path": "/help"})
    assert forced.url_for("manual.page", name="views") == "/help/views"


def test_mvcpy_docs_prints_a_pages_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "routing"]) == 0
    path = capsys.readouterr().out.strip()
    assert path.endswith("routing.md") and Path(path).read_text().startswith("# ")
    assert main(["docs", "nowhere"]) == 1
    assert "the pages: getting-started" in capsys.readouterr().err
