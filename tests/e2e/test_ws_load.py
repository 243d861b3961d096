"""A thousand WebSocket connections on one uvicorn worker: held, broadcast to, not held up.

The clients are the ``websockets`` library's asyncio connections, all in this process;
the server is ``tests.e2e.apps.crowd_app`` under ``python -m uvicorn`` (one worker, the
memory hub). Counts and waits are bounded; nothing here asserts a timing. The server's
memory per connection is reported (``record_property`` and the test output) and only
checked against a generous bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from ._servers import ServerProcess, uvicorn_argv
from .apps.crowd_app import QUEUE_SIZE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONNECTIONS = 1000
#: Handshakes in flight at once while the crowd connects.
CONNECTING = 50
#: Clients that stop reading, beside the crowd.
SLOW = 5
#: Messages of the steady stream, and the pause between two of them (seconds).
STREAM, PAUSE = 40, 0.01
#: Messages sent straight to a slow reader to clog it: 16 MiB, more than its client's
#: one-frame queue, both kernel buffers and the server's write buffer hold (~7 MiB).
FILL, FILL_SIZE = 16, 1024 * 1024
#: Generous bound on the server's resident memory per held connection.
MAX_KIB_PER_CONNECTION = 200
TIMEOUT = 30.0
#: File descriptors the clients need, with room for the test run's own.
FDS_NEEDED = CONNECTIONS + SLOW + 512


@pytest.fixture(scope="module")
def enough_fds() -> None:
    """Raise this process's soft limit on open files when it is too low, or skip."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < FDS_NEEDED:
        if hard != resource.RLIM_INFINITY and hard < FDS_NEEDED:
            pytest.skip(f"open-file limit {hard} < {FDS_NEEDED} and it cannot be raised")
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (FDS_NEEDED, hard))
        except (ValueError, OSError) as exc:
            pytest.skip(f"cannot raise the open-file limit to {FDS_NEEDED}: {exc}")


@pytest.fixture(scope="module")
def server(enough_fds: None, server_logs: Path) -> Iterator[ServerProcess]:
    """The crowd app on one uvicorn worker (it inherits the raised open-file limit)."""
    with ServerProcess(
        "uvicorn-crowd",
        uvicorn_argv("tests.e2e.apps.crowd_app:app"),
        server_logs,
        {"MVCPY_ENV": "test"},
        ready_path="/ready",
    ) as proc:
        yield proc


def rss_kib(pid: int) -> int:
    """The resident set size of process ``pid``, in KiB (``VmRSS`` in ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def ws_url(server: ServerProcess, room: str) -> str:
    return server.base_url.replace("http://", "ws://") + f"/ws/crowd/{room}"


async def join(server: ServerProcess, room: str, **options: Any) -> ClientConnection:
    """Connect a member; return once the server says it is in the room (its id)."""
    options.setdefault("compression", None)
    ws = await connect(
        ws_url(server, room), proxy=None, open_timeout=TIMEOUT, close_timeout=5, **options
    )
    assert "id" in json.loads(await ws.recv())
    return ws


@contextlib.asynccontextmanager
async def crowd(
    server: ServerProcess, room: str, count: int
) -> AsyncIterator[list[ClientConnection]]:
    """``count`` members of ``room``, all in the room on entry, all closed on exit."""
    gate = asyncio.Semaphore(CONNECTING)
    members: list[ClientConnection] = []

    async def one() -> None:
        async with gate:
            members.append(await join(server, room))

    try:
        async with asyncio.timeout(TIMEOUT * 2):
            await asyncio.gather(*(one() for _ in range(count)))
        yield members
    finally:
        await asyncio.gather(*(ws.close() for ws in members), return_exceptions=True)


async def everyone_gets(
    members: list[ClientConnection], count: int, decode: Callable[[str | bytes], Any]
) -> list[list[Any]]:
    """The next ``count`` messages of every member, decoded."""

    async def take(ws: ClientConnection) -> list[Any]:
        return [decode(await ws.recv()) for _ in range(count)]

    async with asyncio.timeout(TIMEOUT):
        return await asyncio.gather(*(take(ws) for ws in members))


def test_a_thousand_connections_share_a_room_and_every_one_gets_each_broadcast(
    server: ServerProcess, record_property: Callable[[str, object], None]
) -> None:
    room = uuid.uuid4().hex

    async def scenario(http: httpx.AsyncClient) -> tuple[int, int]:
        warm = await join(server, "warm-up-" + room)  # imports and the hub started
        await warm.close()
        before = rss_kib(server.pid)
        async with crowd(server, room, CONNECTIONS) as members:
            held = rss_kib(server.pid)
            assert len(members) == CONNECTIONS
            await members[0].send(json.dumps({"say": "hello, room"}))
            said = await everyone_gets(members, 1, json.loads)
            assert said == [[{"text": "hello, room", "from": "ws"}]] * CONNECTIONS
            answer = await http.post(f"/crowd/{room}/say", json={"text": "from HTTP"})
            assert answer.json() == {"members": CONNECTIONS}
            said = await everyone_gets(members, 1, json.loads)
            assert said == [[{"text": "from HTTP", "from": "http"}]] * CONNECTIONS
            # From here on only reference counting frees memory in the server.
            assert (await http.post("/gc", json={"enabled": False})).json() == {"enabled": False}
        try:
            memory = await left_in_memory(http, room)
        finally:
            await http.post("/gc", json={"enabled": True})
        # Closed connections were freed at once, not left to a full garbage collection.
        assert memory == {"in_room": 0, "alive": 0}
        return before, held

    async def with_http() -> tuple[int, int]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=TIMEOUT) as http:
            return await scenario(http)

    before, held = asyncio.run(with_http())
    per_connection = (held - before) / CONNECTIONS
    record_property("server_rss_before_kib", before)
    record_property("server_rss_held_kib", held)
    record_property("server_rss_per_connection_kib", round(per_connection, 1))
    print(
        f"\nserver RSS {before:,} KiB -> {held:,} KiB with {CONNECTIONS:,} connections: "
        f"{per_connection:.1f} KiB per connection"
    )
    assert per_connection < MAX_KIB_PER_CONNECTION


async def left_in_memory(http: httpx.AsyncClient, room: str) -> dict[str, int]:
    """What is left of ``room``'s members once the server has let them go, or after
    TIMEOUT. A member leaves the room before its connection's teardown ends, so the
    controllers still alive are counted until that teardown is over too; with the
    garbage collector off, any member held by a reference cycle stays counted."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        memory: dict[str, int] = (await http.get(f"/crowd/{room}/memory")).json()
        if memory == {"in_room": 0, "alive": 0} or time.monotonic() > deadline:
            return memory
        await asyncio.sleep(0.05)


async def slow_reader(server: ServerProcess, room: str) -> ClientConnection:
    """A member that will stop reading: a small receive buffer and a one-frame client queue.

    The buffer stays above loopback's 64 KiB segment size: below it, TCP would stall the
    sender on its own (silly-window avoidance) rather than through a full pipe.
    """
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
    sock.setblocking(False)
    return await join(server, room, sock=sock, max_queue=1, max_size=None)


def test_readers_that_stop_do_not_hold_up_a_thousand_others(server: ServerProcess) -> None:
    room = uuid.uuid4().hex

    async def scenario() -> list[list[int]]:
        slow = [await slow_reader(server, room) for _ in range(SLOW)]
        try:
            async with crowd(server, room, CONNECTIONS) as members:
                # Each slow reader has megabytes sent to it that it never reads, then says
                # so to the room: once the others hear it, the server is filling its pipe,
                # which takes milliseconds; the stream then lasts STREAM * PAUSE seconds.
                for n, ws in enumerate(slow):
                    await ws.send(json.dumps({"fill": FILL, "size": FILL_SIZE}))
                    await ws.send(json.dumps({"say": f"clogged {n}"}))
                heard = await everyone_gets(members, SLOW, lambda m: json.loads(m)["text"])
                assert [sorted(h) for h in heard] == [[f"clogged {n}" for n in range(SLOW)]] * (
                    CONNECTIONS
                )
                async with httpx.AsyncClient(base_url=server.base_url, timeout=TIMEOUT) as http:
                    stream = asyncio.ensure_future(
                        http.post(f"/crowd/{room}/stream", json={"count": STREAM, "pause": PAUSE})
                    )
                    got = await everyone_gets(members, STREAM, int)
                    assert (await stream).json() == {"sent": STREAM}
                assert got == [list(range(STREAM))] * CONNECTIONS  # every one, in order
            return [await stream_seen_by(ws) for ws in slow]
        finally:
            await asyncio.gather(*(ws.close() for ws in slow), return_exceptions=True)

    for seen in asyncio.run(scenario()):
        # The server did not wait for it: its queue kept the newest and dropped the rest.
        assert len(seen) < STREAM
        assert seen == sorted(seen)
        assert seen[-QUEUE_SIZE:] == list(range(STREAM - QUEUE_SIZE, STREAM))


async def stream_seen_by(ws: ClientConnection) -> list[int]:
    """Read what reached a slow reader, up to the stream's last message; its numbers."""
    seen: list[int] = []
    async with asyncio.timeout(TIMEOUT):
        while not seen or seen[-1] != STREAM - 1:
            message = await ws.recv()
            if isinstance(message, str) and message.isdigit():
                seen.append(int(message))
    return seen
