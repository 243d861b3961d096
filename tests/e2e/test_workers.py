"""The app's ``[websocket]`` settings reach uvicorn under gunicorn's mvcpy worker and ``mvcpy run``.

The client is a bare socket that completes the WebSocket handshake and then never
answers a ping, so what the server does is visible frame by frame: with a ping interval
and timeout of 0.3 s it pings within a second and then closes with 1011; uvicorn's
defaults (20 s) would do neither within the test's deadline. A message over
``max_message_size`` is refused by uvicorn's own frame limit, whose close reason
differs from the app's.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import time
from collections.abc import Callable

import pytest

from ._servers import PYTHON, VENV_BIN, ServerProcess

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.ws_app:app"  # max_message_size = 1024 in its configuration
DEADLINE = 8.0

RUNNERS: dict[str, Callable[[int], list[str]]] = {
    "gunicorn-mvcpy-worker": lambda port: [
        PYTHON, "-m", "gunicorn", "-k", "mvcpy.workers.UvicornWorker", "-w", "1",
        "-b", f"127.0.0.1:{port}", APP,
    ],
    "mvcpy-run": lambda port: [
        str(VENV_BIN / "mvcpy"), "run", "--app", APP, "--host", "127.0.0.1",
        "--port", str(port), "--no-reload",
    ],
}  # fmt: skip
PINGS = {"MVCPY_WEBSOCKET__PING_INTERVAL": "0.3", "MVCPY_WEBSOCKET__PING_TIMEOUT": "0.3"}


def handshake(port: int, path: str) -> socket.socket:
    """Open a WebSocket on ``path`` by hand; return the socket after the 101 answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode()
    )  # fmt: skip
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        assert chunk, f"the server closed during the handshake: {answer!r}"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def frames(sock: socket.socket) -> list[tuple[float, int, bytes]]:
    """Read the server's frames until it closes: (seconds since now, opcode, payload)."""
    started = time.monotonic()
    seen: list[tuple[float, int, bytes]] = []
    while time.monotonic() - started < DEADLINE:
        try:
            first, second = read_exact(sock, 2)
        except (EOFError, ConnectionResetError, TimeoutError):
            break
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", read_exact(sock, 2))
        elif length == 127:
            (length,) = struct.unpack("!Q", read_exact(sock, 8))
        seen.append((time.monotonic() - started, first & 0x0F, read_exact(sock, length)))
        if first & 0x0F == 0x8:  # close
            break
    return seen


def send_text(sock: socket.socket, text: str) -> None:
    """Send one masked text frame (clients must mask)."""
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81]) + (
        bytes([0x80 | len(payload)]) if len(payload) < 126 else
        bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    )  # fmt: skip
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def close_of(seen: list[tuple[float, int, bytes]]) -> tuple[int, str]:
    assert seen and seen[-1][1] == 0x8, f"no close frame: {seen}"
    payload = seen[-1][2]
    return struct.unpack("!H", payload[:2])[0], payload[2:].decode()


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_ping_settings_reach_the_server(
    start_server: Callable[..., ServerProcess], runner: str
) -> None:
    server = start_server(f"ws-pings-{runner}", RUNNERS[runner], env=PINGS)
    with handshake(server.port, "/api/rooms/lobby") as sock:
        seen = frames(sock)
    opcodes = [opcode for _, opcode, _ in seen]
    assert 0x9 in opcodes, f"no ping from the server: {seen}"  # 0x9: ping
    assert seen[opcodes.index(0x9)][0] < 2.0
    assert close_of(seen) == (1011, "keepalive ping timeout")
    assert seen[-1][0] < 3.0


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_max_message_size_is_uvicorns_frame_limit(
    start_server: Callable[..., ServerProcess], runner: str
) -> None:
    server = start_server(f"ws-size-{runner}", RUNNERS[runner])
    with handshake(server.port, "/api/rooms/lobby") as sock:
        send_text(sock, "fits")
        seen = frames_until_text(sock)
        assert seen == "lobby:fits"
        send_text(sock, "x" * 2000)
        code, reason = close_of(frames(sock))
    assert code == 1009
    # The app's own check says "Message too big"; this is uvicorn's limit, set from it.
    assert "1024" in reason and reason != "Message too big", reason


def frames_until_text(sock: socket.socket) -> str:
    """Read frames until a text frame arrives; return its text (pings are skipped)."""
    while True:
        first, second = read_exact(sock, 2)
        payload = read_exact(sock, second & 0x7F)
        if first & 0x0F == 0x1:
            return payload.decode()
