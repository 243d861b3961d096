"""Session changes made over a WebSocket reach Redis, and HTTP requests see them.

A real uvicorn serves ``tests.e2e.apps.ws_session_app`` with the Redis session store;
the clients are the ``websockets`` library and httpx, sharing one session cookie.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ._servers import ServerProcess, uvicorn_argv

pytestmark = pytest.mark.e2e

TIMEOUT = 10


@pytest.fixture(scope="module")
def server(server_logs: Path, redis_url: str) -> Iterator[ServerProcess]:
    """The app under ``python -m uvicorn``, its sessions in Redis under a private prefix."""
    prefix = f"mvcpy-e2e:{uuid.uuid4().hex}:"
    env = {"MVCPY_ENV": "test", "E2E_REDIS_URL": redis_url, "E2E_SESSION_PREFIX": prefix}
    with ServerProcess(
        "uvicorn-ws-sessions",
        uvicorn_argv("tests.e2e.apps.ws_session_app:app"),
        server_logs,
        env,
        ready_path="/ready",
    ) as proc:
        yield proc
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = client.keys(prefix + "*")
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    """A browser-like client: it keeps the session cookie the server sets."""
    with httpx.Client(base_url=server.base_url, timeout=TIMEOUT) as client:
        yield client


def open_ws(server: ServerProcess, http: httpx.Client, path: str) -> ClientConnection:
    """Connect to ``path`` with the session cookie of ``http``, as a browser would."""
    url = server.base_url.replace("http://", "ws://") + path
    cookie = f"session={http.cookies['session']}"
    return connect(
        url,
        additional_headers={"Cookie": cookie},
        open_timeout=TIMEOUT,
        close_timeout=5,
        compression=None,
    )


def ask(ws: ClientConnection, message: dict[str, Any]) -> Any:
    ws.send(json.dumps(message))
    return json.loads(ws.recv(timeout=TIMEOUT))


def read(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/read")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers  # the same session, the same cookie
    data: dict[str, Any] = response.json()["data"]
    return data


def eventually(http: httpx.Client, expected: dict[str, Any]) -> dict[str, Any]:
    """Read until the session is ``expected`` (the save follows the client's close)."""
    deadline = time.monotonic() + TIMEOUT
    data = read(http)
    while data != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        data = read(http)
    return data


def eventually_log(server: ServerProcess, needle: str) -> str:
    """Return the server's log once it mentions ``needle`` (or after the timeout)."""
    deadline = time.monotonic() + TIMEOUT
    log = server.log()
    while needle not in log and time.monotonic() < deadline:
        time.sleep(0.05)
        log = server.log()
    return log


def test_save_session_mid_connection_and_at_close_reach_http(
    server: ServerProcess, http: httpx.Client
) -> None:
    assert http.get("/put", params={"theme": "light"}).json() == {"data": {"theme": "light"}}
    with open_ws(server, http, "/ws/session") as ws:
        assert ws.response is not None and "set-cookie" not in ws.response.headers
        assert ask(ws, {"set": {"step": 1}, "save": True}) == {"saved": True}
        assert read(http) == {"theme": "light", "step": 1}  # the socket is still open
        assert ask(ws, {"set": {"room": "lobby", "theme": "dark"}}) == {"ok": True}
        assert read(http) == {"theme": "light", "step": 1}  # not saved yet
    # The client closed; the server saves once on_disconnect has run.
    expected = {"theme": "dark", "step": 1, "room": "lobby"}
    assert eventually(http, expected) == expected


def test_a_handler_that_returns_saves_before_the_server_closes(
    server: ServerProcess, http: httpx.Client
) -> None:
    http.get("/put", params={"theme": "light"})
    with open_ws(server, http, "/ws/once") as ws:
        ws.send(json.dumps({"last": "seen"}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    assert read(http) == {"theme": "light", "last": "seen"}  # at once: saved before the close


def test_two_connections_of_one_user_keep_each_others_keys(
    server: ServerProcess, http: httpx.Client
) -> None:
    http.get("/put", params={"theme": "light", "cart": "empty"})
    # Both connections load the session before either changes it.
    with (
        open_ws(server, http, "/ws/session") as left,
        open_ws(server, http, "/ws/session") as right,
    ):
        assert ask(left, {"set": {"theme": "dark"}, "save": True}) == {"saved": True}
        assert ask(right, {"set": {"cart": "tea"}, "save": True}) == {"saved": True}
        assert ask(left, {"set": {"lang": "fr"}}) == {"ok": True}
        assert ask(right, {"set": {"seen": "right"}}) == {"ok": True}
    expected = {"theme": "dark", "cart": "tea", "lang": "fr", "seen": "right"}
    assert eventually(http, expected) == expected


def test_a_session_without_an_id_is_refused_by_save_session(server: ServerProcess) -> None:
    url = server.base_url.replace("http://", "ws://") + "/ws/session"
    with connect(url, open_timeout=TIMEOUT, compression=None) as ws:  # no cookie
        answer = ask(ws, {"set": {"name": "ann"}, "save": True})
        assert "no id the client knows" in answer["error"]
    assert "session changes made after the upgrade were not saved (name)" in eventually_log(
        server, "were not saved"
    )
