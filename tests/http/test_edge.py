"""The request at the edge: Host headers per RFC 9110/9112 and request targets.

The scopes are built by hand, as a server that passes on what it was sent would build
them (uvicorn's httptools parser keeps ``GET * HTTP/1.1``, ``GET /`` without a version,
and two ``Host`` headers), and sent to the app through ASGI.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.raw_asgi import send_raw


def call(app: Any, path: str, headers: list[tuple[bytes, bytes]], version: str = "1.1") -> int:
    """Send one GET to ``app``; return the status it answers."""
    return send_raw(app, "GET", path.encode(), headers, version=version)[0]


@pytest.fixture
def app(make_app: Any) -> Any:
    app = make_app(allowed_hosts=["example.com", "127.0.0.1", "[::1]"])
    app.get("/", lambda ctx: "home")
    app.start()
    return app


@pytest.mark.parametrize(
    "host",
    [
        b"example.com",
        b"example.com:8000",
        b"EXAMPLE.com:1",
        b"127.0.0.1:65535",
        b"[::1]:80",
        b"example.com:",
    ],  # an empty port is allowed (RFC 3986: port = *DIGIT)
)
def test_good_hosts_are_served(app: Any, host: bytes) -> None:
    assert call(app, "/", [(b"host", host)]) == 200


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"127.0.0.1:99999x")],
        [(b"host", b"127.0.0.1:-1")],
        [(b"host", b"127.0.0.1:65536")],
        [(b"host", b"127.0.0.1:123456")],
        [(b"host", b"exa mple.com")],
        [(b"host", b"example.com/x")],
        [(b"host", b"user@example.com")],
        [(b"host", b"[::1")],
        [(b"host", b"example.com"), (b"host", b"evil.example")],
        [(b"host", b"example.com"), (b"host", b"example.com")],
        [],  # HTTP/1.1 requires a Host header
    ],
)
def test_malformed_repeated_or_missing_hosts_are_400(
    app: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    assert call(app, "/", headers) == 400


def test_an_http_1_0_request_may_leave_the_host_out(make_app: Any) -> None:
    app = make_app()  # no allowed_hosts: any host is served
    app.get("/", lambda ctx: "home")
    app.start()
    assert call(app, "/", [], version="1.0") == 200


@pytest.mark.parametrize(("path", "version"), [("*", "1.1"), ("", "1.1"), ("/", "0.9")])
def test_targets_that_are_not_paths_and_http_0_9_are_400(
    make_app: Any, path: str, version: str
) -> None:
    app = make_app()
    app.get("/", lambda ctx: "home")
    app.start()
    assert call(app, path, [(b"host", b"example.com")], version) == 400
