"""The README's first command: ``make demo`` generates, migrates and serves a project.

The test runs the Makefile's own recipes with the project written to a temporary
directory and served on a free port (``DEMO_DIR`` and ``PORT``): first
``make demo-project`` (generate and migrate), then ``make demo``, which runs those steps
again (they must be idempotent) and serves the project until it is stopped.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ._servers import REPO_ROOT, ServerProcess, run_command

pytestmark = pytest.mark.e2e

MAKE = shutil.which("make")
VENV = Path(sys.executable).parent.parent


@pytest.mark.skipif(MAKE is None, reason="make is not installed (the README's commands need it)")
def test_make_demo_generates_migrates_and_serves_the_project(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    assert MAKE is not None
    demo = tmp_path / "demo-project"
    make = [MAKE, "--no-print-directory", "-C", str(REPO_ROOT), f"VENV={VENV}", f"DEMO_DIR={demo}"]
    first = run_command([*make, "demo-project"], timeout=300)  # may (re)install the venv
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"created the project demo in {demo}" in first.stdout
    assert (demo / "demo" / "instance" / "app.sqlite3").is_file()
    assert "create posts" in first.stderr  # the demo's scaffold, migrated
    assert "seeded the database from" in first.stdout

    server = start_server("make-demo", lambda port: [*make, f"PORT={port}", "demo"])
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert "Welcome to demo" in home.text
        assert '<a href="/posts"><code>/posts</code></a>' in home.text  # the start page
        posts = http.get("/posts")
        assert posts.status_code == 200
        assert "Welcome to the mvcpy demo" in posts.text and "A draft" in posts.text
        assert http.get("/-/docs/getting-started").status_code == 200
        assert http.get("/healthz").json() == {"status": "ok", "database": "ok"}
    log = server.log()
    assert "created the project" not in log  # the second run kept the project
    assert f"mvcpy new demo --dir {demo}" not in log
