"""Two gunicorn workers on one Redis hub: what a client on one says reaches clients on the other."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from ._servers import PYTHON, ServerProcess
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2
MAX_CONNECTIONS = 60
TIMEOUT = 10


def recv_json(ws: ClientConnection) -> dict[str, object]:
    value: dict[str, object] = json.loads(ws.recv(timeout=TIMEOUT))
    return value


def test_broadcasts_and_direct_messages_cross_workers(
    start_server: Callable[..., ServerProcess], redis_url: str
) -> None:
    env = {
        "MVCPY_ENV": "test",
        "MVCPY_HUB__BACKEND": "redis",
        "MVCPY_HUB__REDIS_URL": redis_url,
        "MVCPY_HUB__PREFIX": f"mvcpy-e2e:{uuid.uuid4().hex}:",
    }

    def argv(port: int) -> list[str]:
        return [
            PYTHON, "-m", "gunicorn",
            "-k", "mvcpy.workers.UvicornWorker",
            "-w", str(WORKERS),
            "-b", f"127.0.0.1:{port}",
            "tests.e2e.apps.live_app:app",
        ]  # fmt: skip

    server = start_server("gunicorn-hub", argv, env, ready_path="/ready")
    workers = wait_for_children(server.pid, WORKERS)
    assert len(workers) == WORKERS
    room = uuid.uuid4().hex
    url = server.base_url.replace("http://", "ws://") + f"/ws/rooms/{room}"
    with ExitStack() as stack:
        # Connect until each worker holds a client (the kernel picks the worker).
        by_pid: dict[int, tuple[ClientConnection, str]] = {}
        opened: list[ClientConnection] = []
        for _ in range(MAX_CONNECTIONS):
            ws = stack.enter_context(connect(url, open_timeout=TIMEOUT, compression=None))
            opened.append(ws)
            hello = recv_json(ws)
            by_pid.setdefault(int(str(hello["pid"])), (ws, str(hello["id"])))
            if len(by_pid) == WORKERS:
                break
        assert set(by_pid) == workers, f"every connection went to one worker: {list(by_pid)}"
        (pid_one, (one, one_id)), (pid_two, (two, two_id)) = by_pid.items()
        for ws in opened:  # what arrived while the others were connecting
            while True:
                try:
                    ws.recv(timeout=0.2)
                except TimeoutError:
                    break

        one.send(json.dumps({"say": "across workers", "others": True}))
        heard = recv_json(two)  # on the other worker
        assert (heard["text"], heard["from"]) == ("across workers", one_id)
        assert heard["pid"] == str(pid_one) != str(pid_two)
        for ws in opened:
            if ws is not one and ws is not two:  # the rest of the room, on either worker
                assert recv_json(ws)["text"] == "across workers"
        one.send(json.dumps({"to": two_id, "text": "direct"}))
        assert recv_json(one) == {"delivered": True}
        assert recv_json(two) == {"from": one_id, "text": "direct"}
        one.send(json.dumps({"presence": True}))
        assert recv_json(one) == {"presence": len(opened)}

        # An HTTP request on either worker broadcasts to both.
        said = httpx.post(f"{server.base_url}/rooms/{room}/say", json={"text": "from HTTP"})
        assert said.status_code == 200
        for ws in opened:
            assert recv_json(ws)["text"] == "from HTTP"
    # Everyone left: presence, counted across workers, is back to zero.
    with connect(url, open_timeout=TIMEOUT) as last:
        recv_json(last)
        deadline = time.monotonic() + TIMEOUT
        presence = None
        while presence != 1 and time.monotonic() < deadline:
            last.send(json.dumps({"presence": True}))
            presence = recv_json(last)["presence"]
        assert presence == 1
