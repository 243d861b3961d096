"""Slow clients and odd request targets against real servers: ``mvcpy run`` (uvicorn)
and gunicorn with mvcpy's worker, both on :mod:`mvcpy.server_protocol`.

The timeouts are set to one second (``MVCPY_SERVER__*``) so that each case takes
seconds: a connection that sends nothing, headers that trickle in, a body that stops,
and an absolute-form target naming a host that ``allowed_hosts`` does not allow.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from ._servers import PYTHON, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LIMITS = {
    "MVCPY_SERVER__HEADER_TIMEOUT": "1",
    "MVCPY_SERVER__BODY_TIMEOUT": "1",
    "MVCPY_ALLOWED_HOSTS": '["127.0.0.1", "localhost"]',
}
SERVERS = {
    "mvcpy run": lambda port: [
        PYTHON, "-m", "mvcpy.cli", "run", "--app", "tests.e2e.apps.basic:app",
        "--no-reload", "--port", str(port),
    ],
    "gunicorn": lambda port: [
        PYTHON, "-m", "gunicorn", "tests.e2e.apps.basic:app", "--workers", "1",
        "--worker-class", "mvcpy.workers.UvicornWorker", "--bind", f"127.0.0.1:{port}",
    ],
}  # fmt: skip


def _until_closed(sock: socket.socket, limit: float = 10.0) -> tuple[bytes, float]:
    """Read until the server closes the connection; return what it sent and when."""
    started = time.monotonic()
    sock.settimeout(limit)
    received = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


@pytest.fixture(params=list(SERVERS))
def server(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    return start_server(
        f"slow-{request.param.replace(' ', '-')}",
        SERVERS[request.param],
        env=LIMITS,
        ready_path="/hello",
    )


def _connect(server: ServerProcess) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        answer, waited = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert 0.8 < waited < 5


def test_headers_that_trickle_in_are_cut_off(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        with pytest.raises(OSError):  # the server closes while the client still writes
            for _ in range(20):
                sock.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.3)
        assert time.monotonic() - started < 5


def test_a_body_that_stops_gets_408(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /size HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 100\r\n\r\nonly ten b"
        )
        answer, waited = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert waited < 5


def test_a_slow_but_steady_request_is_served(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /size HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        sock.sendall(b"Content-Type: text/plain\r\nContent-Length: 6\r\n\r\nabc")
        time.sleep(0.5)
        sock.sendall(b"def")
        sock.settimeout(5)
        answer = b""
        while not answer.endswith(b"}"):
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"bytes":6}'), answer


def test_an_absolute_form_target_is_judged_by_its_host(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET http://evil.example/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(5)
        refused = sock.recv(4096)
    assert refused.startswith(b"HTTP/1.1 400 "), refused
    with _connect(server) as sock:
        sock.sendall(b"GET http://127.0.0.1/hello HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        sock.settimeout(5)
        served = sock.recv(4096)
    assert served.startswith(b"HTTP/1.1 200 "), served
    # Ordinary requests, kept alive, are not cut off between them by the header clock.
    with httpx.Client(base_url=server.base_url) as http:
        for _ in range(3):
            assert http.get("/hello").status_code == 200
            time.sleep(0.6)


@pytest.mark.parametrize(
    "line",
    [b"GET  /hello HTTP/1.1", b"GET /hello  HTTP/1.1", b"GET /hello", b"GET /hello HTTP/1.1 ",
     b"GET\t/hello HTTP/1.1", b"GET /hello HTTP/2.0", b"GET /hel lo HTTP/1.1"],
)  # fmt: skip
def test_malformed_request_lines_are_400(server: ServerProcess, line: bytes) -> None:
    with _connect(server) as sock:
        sock.sendall(line + b"\r\nHost: 127.0.0.1\r\n\r\n")
        answer, _ = _until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400 "), (line, answer)


def test_pipelined_and_kept_alive_requests_are_served(server: ServerProcess) -> None:
    request = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with _connect(server) as sock:
        batch = request * 3
        sock.sendall(batch[:50])  # the second read starts inside the first request
        time.sleep(0.2)
        sock.sendall(batch[50:])
        sock.settimeout(5)
        received = b""
        while received.count(b"HTTP/1.1 200 ") < 3:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        sock.sendall(request)  # and once more on the kept-alive connection
        while received.count(b"HTTP/1.1 200 ") < 4:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        assert b"HTTP/1.1 400" not in received


def test_a_request_line_in_pieces_is_checked_whole(server: ServerProcess) -> None:
    with _connect(server) as sock:
        for piece in (b"GE", b"T  /hel", b"lo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.1)
        refused, _ = _until_closed(sock)
    assert refused.startswith(b"HTTP/1.1 400 "), refused
    with _connect(server) as sock:
        for piece in (b"GE", b"T /hel", b"lo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.1)
        sock.settimeout(5)
        served = sock.recv(4096)
    assert served.startswith(b"HTTP/1.1 200 "), served
