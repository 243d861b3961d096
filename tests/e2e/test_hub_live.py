"""Rooms, broadcasts, event streams, filters and limits under a real uvicorn.

WebSocket clients are the ``websockets`` library's; the event-stream client is httpx.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
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
    """The live app under ``python -m uvicorn`` (memory hub), shared by this module's tests."""
    with ServerProcess(
        "uvicorn-live",
        uvicorn_argv("tests.e2e.apps.live_app:app"),
        server_logs,
        {"MVCPY_ENV": "test"},
        ready_path="/ready",
    ) as proc:
        yield proc


def open_ws(server: ServerProcess, path: str, **options: Any) -> ClientConnection:
    url = server.base_url.replace("http://", "ws://") + path
    options.setdefault("compression", None)
    # legacy=True: a connection we may use before (or without) entering it as a context.
    return connect(url, open_timeout=TIMEOUT, close_timeout=5, legacy=True, **options)


def join(
    server: ServerProcess, room: str, kind: str = "rooms", **options: Any
) -> tuple[ClientConnection, str]:
    """Connect to a room; return the connection and its id (the server's first message)."""
    ws = open_ws(server, f"/ws/{kind}/{room}", **options)
    return ws, json.loads(ws.recv(timeout=TIMEOUT))["id"]


def recv_json(ws: ClientConnection) -> Any:
    return json.loads(ws.recv(timeout=TIMEOUT))


def silent(ws: ClientConnection, seconds: float = 0.3) -> bool:
    """Whether nothing arrives on ``ws`` for ``seconds``."""
    try:
        ws.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def closed_with(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_broadcast_exclude_send_to_and_presence(server: ServerProcess) -> None:
    room = uuid.uuid4().hex
    ann, ann_id = join(server, room)
    bob, bob_id = join(server, room)
    other, _ = join(server, "elsewhere-" + room)
    with ann, bob, other:
        ann.send(json.dumps({"say": "hi all"}))
        assert recv_json(ann)["text"] == recv_json(bob)["text"] == "hi all"
        ann.send(json.dumps({"say": "not to me", "others": True}))
        said = recv_json(bob)
        assert (said["from"], said["text"]) == (ann_id, "not to me")
        assert silent(ann) and silent(other)
        ann.send(json.dumps({"to": bob_id, "text": "psst"}))
        assert recv_json(ann) == {"delivered": True}
        assert recv_json(bob) == {"from": ann_id, "text": "psst"}
        ann.send(json.dumps({"presence": True}))
        assert recv_json(ann) == {"presence": 2}
    with open_ws(server, f"/ws/rooms/{room}") as carl:
        carl.recv(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        presence = None
        while presence != 1 and time.monotonic() < deadline:
            carl.send(json.dumps({"presence": True}))  # ann and bob left: cleaned up
            presence = recv_json(carl)["presence"]
        assert presence == 1
        carl.send(json.dumps({"to": bob_id, "text": "gone?"}))
        assert recv_json(carl) == {"delivered": False}


def test_push_fragment_reaches_websocket_and_event_stream_clients(server: ServerProcess) -> None:
    room = uuid.uuid4().hex
    events: list[str] = []
    subscribed = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{server.base_url}/events/{room}", timeout=TIMEOUT) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            subscribed.set()
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(line[6:])
                    if len(events) == 2:
                        return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert subscribed.wait(TIMEOUT)
    ws, _ = join(server, room)
    with ws:
        deadline = time.monotonic() + TIMEOUT
        presence = None
        while presence != 2 and time.monotonic() < deadline:
            ws.send(json.dumps({"presence": True}))  # two once the stream has joined
            presence = recv_json(ws)["presence"]
        assert presence == 2
        ws.send(json.dumps({"fragment": "<hello>", "n": 7}))
        fragment = {
            "mvcpy": "fragment",
            "action": "replace",
            "target": "message-7",
            "html": '<li id="message-7">&lt;hello&gt;</li>',
        }
        assert recv_json(ws) == fragment
        said = httpx.post(f"{server.base_url}/rooms/{room}/say", json={"text": "from HTTP"})
        assert said.status_code == 200
        assert recv_json(ws)["text"] == "from HTTP"
    reader.join(TIMEOUT)
    assert [json.loads(e) for e in events] == [
        fragment,
        {"from": "http", "text": "from HTTP", "pid": said.json()["pid"]},
    ]


def test_filters_run_before_the_upgrade(server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused, open_ws(server, "/secure/ws"):
        pass  # pragma: no cover - refused by the namespace's filter
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body or b"")["error"]["message"] == "token required"
    with open_ws(server, "/secure/ws?token=secret") as ws:
        assert ws.response is not None
        assert ws.response.headers["x-filtered"] == "yes"  # an app filter's header
        assert ws.recv(timeout=TIMEOUT) == "hello stranger, visit 1"


def test_the_session_is_read_before_the_upgrade_and_saved_with_it(server: ServerProcess) -> None:
    login = httpx.get(f"{server.base_url}/login", params={"name": "bob"})
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    with open_ws(server, "/ws/greet", additional_headers={"cookie": cookie}) as ws:
        assert ws.recv(timeout=TIMEOUT) == "hello bob, visit 1"
        assert ws.response is not None
        cookie = ws.response.headers["set-cookie"].split(";", 1)[0]  # before() changed it
    with open_ws(server, "/ws/greet", additional_headers={"cookie": cookie}) as ws:
        assert ws.recv(timeout=TIMEOUT) == "hello bob, visit 2"


def test_message_rate_and_idle_timeout_close_the_connection(server: ServerProcess) -> None:
    with open_ws(server, "/ws/chatty") as ws:
        # The server may close while the burst is still going out; the echoes it sent
        # before closing stay readable.
        with contextlib.suppress(ConnectionClosed):
            for n in range(12):
                ws.send(str(n))
        echoed = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                echoed.append(ws.recv(timeout=TIMEOUT))
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "Too many messages")
    # The burst of 5 is allowed, then the close; a slow server may refill a token meanwhile.
    assert 5 <= len(echoed) < 12
    assert echoed == [str(n) for n in range(len(echoed))]
    with open_ws(server, "/ws/chatty") as ws:
        ws.send("one")
        assert ws.recv(timeout=TIMEOUT) == "one"
        start = time.monotonic()
        assert closed_with(ws) == 1001  # nothing sent for idle_timeout (0.5 s)
        assert time.monotonic() - start < TIMEOUT


def slow_reader(server: ServerProcess, path: str) -> ClientConnection:
    """A client that stops reading: a small receive buffer and a one-message client queue.

    The buffer stays above loopback's 64 KiB segment size: below it, TCP would stall the
    sender on its own (silly-window avoidance) and the test would measure that instead.
    """
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
    return open_ws(server, path, sock=sock, max_queue=1, max_size=None)


@pytest.mark.parametrize("kind", ["lossy", "strict"])
def test_a_slow_consumer_does_not_hold_up_the_room(server: ServerProcess, kind: str) -> None:
    room = uuid.uuid4().hex
    count, size = 300, 64 * 1024
    slow = slow_reader(server, f"/ws/{kind}/{room}")
    slow.recv(timeout=TIMEOUT)  # its id; from now on it reads nothing
    fast, _ = join(server, room, kind, max_size=None)
    with slow, fast:
        # A steady producer (a message every 2 ms, 32 MB/s) that a reading client keeps up with.
        fast.send(json.dumps({"big": size, "count": count, "pause": 0.002}))
        received = [fast.recv(timeout=TIMEOUT) for _ in range(count)]
        assert [int(str(m).split(":", 1)[0]) for m in received] == list(range(count))
        assert recv_json(fast) == {"sent": count}
        # Now the slow client reads what reached it.
        seen: list[int] = []
        code = None
        try:
            while True:
                seen.append(int(str(slow.recv(timeout=TIMEOUT)).split(":", 1)[0]))
                if seen[-1] == count - 1:
                    break
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
        except TimeoutError:
            pass
    assert len(seen) < count  # some never reached it: the server did not wait for it
    assert seen == sorted(seen)
    if kind == "lossy":
        # Still connected; the oldest queued messages were dropped, the newest 4 kept.
        assert code is None and seen[-4:] == list(range(count - 4, count))
    else:
        assert code == 1008  # disconnected as a slow consumer, after what was sent before
