"""``mvcpy docs``: the documentation served on a local port by a real server, offline."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ._projects import MVCPY
from ._servers import ServerProcess

pytestmark = pytest.mark.e2e


def test_mvcpy_docs_serves_the_pages_with_search(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(
        "mvcpy-docs", lambda port: [MVCPY, "docs", "--host", "127.0.0.1", "--port", str(port)]
    )
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        index = http.get("/")
        assert index.status_code == 200
        assert "mvcpy 0.1.0 documentation" in index.text and 'href="/getting-started"' in index.text
        page = http.get("/generators")
        assert page.status_code == 200 and "<h1>Generators" in page.text
        assert 'href="/models' in page.text  # links between pages stay in the local site
        found = http.get("/", params={"q": "rollback"})
        assert 'href="/models"' in found.text and "<mark>rollback</mark>" in found.text
        assert http.get("/no-such-page").status_code == 404
