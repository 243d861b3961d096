"""``static_url``: content-hash query strings for cache busting."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mvcpy import App


def _static(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / "static" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


def test_static_url_adds_a_content_hash(views, make_app, tmp_path: Path) -> None:
    _static(tmp_path, "css/site.css", b"body{}")
    views("s.html", "{{ static_url('css/site.css') }} {{ static_url('/missing.js') }}")
    app = make_app()
    assert app.templates.render("s.html", {}) == (
        f"/static/css/site.css?v={_hash(b'body{}')} /static/missing.js"
    )


def test_static_url_follows_edits_in_dev_only(views, tmp_path: Path) -> None:
    path = _static(tmp_path, "app.js", b"one")
    views("s.html", "{{ static_url('app.js') }}")
    dev = App(root_path=tmp_path, env="dev", config={"static": {"url": "/assets/"}})
    prod = App(root_path=tmp_path, env="prod", config={"secret_key": "k" * 32})
    assert dev.templates.render("s.html", {}) == f"/assets/app.js?v={_hash(b'one')}"
    assert prod.templates.render("s.html", {}) == f"/static/app.js?v={_hash(b'one')}"
    path.write_bytes(b"two")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000_000))
    assert dev.templates.render("s.html", {}) == f"/assets/app.js?v={_hash(b'two')}"
    assert prod.templates.render("s.html", {}) == f"/static/app.js?v={_hash(b'one')}"


def test_static_url_never_reads_outside_the_static_directory(views, make_app, tmp_path) -> None:
    (tmp_path / "secret.txt").write_text("x")
    _static(tmp_path, "ok.txt", b"x")
    views("s.html", "{{ static_url('../secret.txt') }}")
    assert make_app().templates.render("s.html", {}) == "/static/../secret.txt"
