"""WebSocket controllers under a real uvicorn, driven by the ``websockets`` client library."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from ._servers import ServerProcess, uvicorn_argv

pytestmark = pytest.mark.e2e

TIMEOUT = 10


@pytest.fixture(scope="module")
def server(server_logs: Path) -> Iterator[ServerProcess]:
    """The WebSocket app under ``python -m uvicorn``, shared by this module's tests."""
    with ServerProcess(
        "uvicorn-ws", uvicorn_argv("tests.e2e.apps.ws_app:app"), server_logs, {"MVCPY_ENV": "test"}
    ) as proc:
        yield proc


def ws_url(server: ServerProcess, path: str) -> str:
    return server.base_url.replace("http://", "ws://") + path


def open_ws(server: ServerProcess, path: str, **options: Any) -> ClientConnection:
    return connect(ws_url(server, path), open_timeout=TIMEOUT, close_timeout=5, **options)


def refused(server: ServerProcess, path: str, **options: Any) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as refusal, open_ws(server, path, **options):
        pass  # pragma: no cover - the handshake must not succeed
    return refusal.value.response.status_code, refusal.value.response.body or b""


def test_text_echo_with_path_param_url_for_and_accept_headers(server: ServerProcess) -> None:
    path = httpx.get(server.base_url + "/", timeout=TIMEOUT).json()["room"]
    assert path == "/api/rooms/lobby"
    with open_ws(server, path) as ws:
        assert ws.response is not None
        assert ws.response.headers["x-room"] == "lobby"
        assert ws.subprotocol is None
        ws.send("hello")
        assert ws.recv(timeout=TIMEOUT) == "lobby:hello"
        ws.send("héllo again")
        assert ws.recv(timeout=TIMEOUT) == "lobby:héllo again"


def test_bytes_echo(server: ServerProcess) -> None:
    with open_ws(server, "/bytes") as ws:
        ws.send(b"\x00\x01\xff")
        assert ws.recv(timeout=TIMEOUT) == b"\xff\x01\x00"


def test_text_to_a_bytes_endpoint_closes_with_1003(server: ServerProcess) -> None:
    with open_ws(server, "/bytes") as ws:
        ws.send("not bytes")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1003


def test_json_echo_through_handle(server: ServerProcess) -> None:
    with open_ws(server, "/json") as ws:
        ws.send(json.dumps({"numbers": [1, 2, 3.5], "id": "a"}))
        assert json.loads(ws.recv(timeout=TIMEOUT)) == {"sum": 6.5, "id": "a"}
        ws.send("{not json")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007


def test_server_closes_with_a_code(server: ServerProcess) -> None:
    with open_ws(server, "/api/rooms/r1?tag=server") as ws:
        ws.send("close:4000")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "server says bye")
    closes = httpx.get(server.base_url + "/closes", timeout=TIMEOUT).json()
    assert closes["server"] == 4000


def test_client_close_code_reaches_on_disconnect(server: ServerProcess) -> None:
    with open_ws(server, "/api/rooms/r2?tag=client") as ws:
        ws.send("ping")
        assert ws.recv(timeout=TIMEOUT) == "r2:ping"
        ws.close(4001, "client says bye")
    # on_disconnect runs when the server reads the close frame; poll the app briefly.
    seen = None
    for _ in range(100):
        seen = httpx.get(server.base_url + "/closes", timeout=TIMEOUT).json().get("client")
        if seen is not None:
            break
        time.sleep(0.05)
    assert seen == 4001


def test_subprotocol_is_chosen_from_the_client_offer(server: ServerProcess) -> None:
    with open_ws(server, "/api/rooms/p", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"  # the server's preference wins
    with open_ws(server, "/api/rooms/p", subprotocols=["chat.v1", "other"]) as ws:
        assert ws.subprotocol == "chat.v1"


def test_oversized_message_closes_with_1009(server: ServerProcess) -> None:
    with open_ws(server, "/api/rooms/big?tag=big") as ws:
        ws.send("x" * 1024)  # exactly the limit: accepted
        assert ws.recv(timeout=TIMEOUT) == "big:" + "x" * 1024
        ws.send("é" * 600)  # 600 characters, 1200 bytes
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


def test_foreign_origin_is_refused_before_the_upgrade(server: ServerProcess) -> None:
    status, body = refused(server, "/api/rooms/o", origin="https://evil.example")
    assert status == 403
    assert json.loads(body)["error"]["message"] == "Origin not allowed"
    # The request's own host and the configured allow-list are accepted.
    host = server.base_url.removeprefix("http://")
    for origin in (f"http://{host}", "https://trusted.example"):
        with open_ws(server, "/api/rooms/o", origin=origin) as ws:
            ws.send("hi")
            assert ws.recv(timeout=TIMEOUT) == "o:hi"


def test_before_refuses_with_403(server: ServerProcess) -> None:
    status, body = refused(server, "/guarded")
    assert (status, json.loads(body)["error"]["message"]) == (403, "Forbidden")
    assert refused(server, "/guarded?token=wrong")[0] == 403
    with open_ws(server, "/guarded?token=letmein") as ws:
        ws.send("in")
        assert ws.recv(timeout=TIMEOUT) == "welcome in"


@pytest.mark.parametrize("path", ["/", "/closes", "/nowhere", "/api/rooms"])
def test_paths_without_a_websocket_route_are_refused(server: ServerProcess, path: str) -> None:
    assert refused(server, path)[0] == 403
    # HTTP on a WebSocket path is a 404, and the server keeps serving.
    assert httpx.get(server.base_url + "/json", timeout=TIMEOUT).status_code == 404
    log = server.log()
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log
