"""The real-time suite's load generator: a small asyncio WebSocket client in its own process.

    taskset -c 1 python -m benchmarks.rt_client '{"mode": "fanout", "port": 8000, ...}'

It speaks the protocol (RFC 6455) directly on an ``asyncio.Protocol``: a handshake, then
frames parsed by their two-byte header and counted, masked frames out, pongs to the
server's pings and a close frame at the end. A general-purpose client library costs
several times more per message than this, enough to make the client, not the server,
the bottleneck of a fan-out to 1,000 connections. Each mode prints one JSON object.
Everything goes to 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.apps.rt_spec import DONE, ECHO_PATH, PUBLISH_PATH, READY, ROOM_PATH
from benchmarks.common import process_cpu_seconds as server_cpu

__all__ = [
    "Client",
    "Member",
    "Tally",
    "echo",
    "fanout",
    "hold",
    "main",
    "open_client",
    "server_cpu",
]

HOST = "127.0.0.1"
TIMEOUT = 30.0
#: Handshakes in flight at once.
CONNECTING = 100
#: A fan-out that makes no progress for this long is given up (and reported incomplete).
STALL = 10.0
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_READY = READY.encode()
_DONE = DONE.encode()
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Client(asyncio.Protocol):
    """One WebSocket connection; ``on_message(payload)`` sees every text or binary frame."""

    def __init__(self, path: str, port: int, on_message: Callable[[bytes], None]) -> None:
        loop = asyncio.get_running_loop()
        self.path = path
        self.port = port
        self.on_message = on_message
        self.key = base64.b64encode(os.urandom(16))
        self.opened: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.transport: Any = None
        self._buffer = bytearray()
        self._handshaking = True

    def connection_made(self, transport: Any) -> None:  # uvloop's is no asyncio.Transport
        self.transport = transport
        transport.write(
            b"GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (self.path.encode(), HOST.encode(), self.port, self.key)
        )

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._handshaking:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            self._handshaking = False
            accept = base64.b64encode(hashlib.sha1(self.key + _GUID).digest())
            if not head.startswith(b"HTTP/1.1 101 ") or accept not in head:
                self._fail(ConnectionError(f"handshake refused: {head[:200]!r}"))
                return
            self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        size = len(buffer)
        pos = 0
        while size - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                start = pos + 4
                length = int.from_bytes(buffer[pos + 2 : start], "big")
            elif length == 127:
                start = pos + 10
                length = int.from_bytes(buffer[pos + 2 : start], "big")
            end = start + length
            if end > size:
                break
            payload = bytes(buffer[start:end])
            pos = end
            opcode = first & 0x0F
            if opcode in (1, 2):
                if not first & 0x80:
                    raise ValueError("fragmented message (the servers measured never send one)")
                self.on_message(payload)
            elif opcode == 9:  # ping
                self.send_frame(10, payload)
            elif opcode == 8:  # close: answer it and hang up
                self.send_frame(8, payload[:2])
                if self.transport is not None:
                    self.transport.close()
        if pos:
            del buffer[:pos]

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """Send one masked frame (a client must mask)."""
        if self.transport is None or self.transport.is_closing():
            return
        n = len(payload)
        if n < 126:
            header = bytes((0x80 | opcode, 0x80 | n))
        elif n < 1 << 16:
            header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        if n:
            key = (mask * (n // 4 + 1))[:n]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(
                n, "big"
            )
        self.transport.write(header + mask + payload)

    def send_text(self, text: str) -> None:
        """Send a text message."""
        self.send_frame(1, text.encode())

    def close(self) -> None:
        """Send a normal close frame and hang up."""
        self.send_frame(8, (1000).to_bytes(2, "big"))
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("closed by the server"))
        if not self.lost.done():
            self.lost.set_result(None)


async def open_client(path: str, port: int, on_message: Callable[[bytes], None]) -> Client:
    """Connect and complete the handshake."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(TIMEOUT):
        _, client = await loop.create_connection(lambda: Client(path, port, on_message), HOST, port)
        await client.opened
    return client


class Tally:
    """Counts what the room's members received, for every member at once."""

    def __init__(self) -> None:
        #: members connected (set by whoever connects them)
        self.members = 0
        self.ready = 0
        self.expected = 0
        self.received = 0
        self.complete = 0
        self.wrong = 0
        self.all_ready = asyncio.Event()
        self.all_in = asyncio.Event()
        self.last = b""

    def expect(self, count: int) -> None:
        """Start counting a broadcast of ``count`` messages to every member."""
        self.expected = count
        self.received = self.complete = 0
        self.last = f"{count - 1} ".encode()
        self.all_in.clear()

    def await_ready(self, members: int) -> None:
        """``all_ready`` is set once ``members`` members have heard READY."""
        self.members = members
        if self.ready >= members:
            self.all_ready.set()
        else:
            self.all_ready.clear()


class Member:
    """The ``on_message`` of one member: READY first, then the broadcasts, counted."""

    __slots__ = ("in_room", "seen", "tally")

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.in_room = False
        self.seen = 0

    def __call__(self, payload: bytes) -> None:
        tally = self.tally
        if not self.in_room:
            if payload != _READY:
                raise RuntimeError(f"expected {READY!r} first, got {payload[:50]!r}")
            self.in_room = True
            tally.ready += 1
            if tally.ready >= tally.members:
                tally.all_ready.set()
            return
        self.seen += 1
        tally.received += 1
        if self.seen == tally.expected:
            self.seen = 0
            if not payload.startswith(tally.last):
                tally.wrong += 1
            tally.complete += 1
            if tally.complete >= tally.members:
                tally.all_in.set()


async def connect_members(
    port: int, count: int, tally: Tally, already: int = 0
) -> tuple[list[Client], str]:
    """Connect ``count`` more members and wait until each is in the room; stop at a failure."""
    gate = asyncio.Semaphore(CONNECTING)
    clients: list[Client] = []
    failures: list[str] = []

    async def one() -> None:
        if failures:
            return
        async with gate:
            if failures:
                return
            try:
                clients.append(await open_client(ROOM_PATH, port, Member(tally)))
            except (OSError, TimeoutError) as exc:
                failures.append(f"{type(exc).__name__}: {exc}")

    tally.await_ready(already + count)  # READY may come before open_client returns
    await asyncio.gather(*(one() for _ in range(count)))
    tally.await_ready(already + len(clients))
    try:
        async with asyncio.timeout(TIMEOUT):
            await tally.all_ready.wait()
    except TimeoutError:
        failures.append(f"only {tally.ready} of {tally.members} members heard {READY!r}")
    return clients, failures[0] if failures else ""


class _Replies:
    """What a publisher or echo connection was sent, as an awaitable queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def __call__(self, payload: bytes) -> None:
        self.queue.put_nowait(payload)

    async def next(self) -> bytes:
        async with asyncio.timeout(TIMEOUT):
            return await self.queue.get()


async def _broadcast(port: int, tally: Tally, count: int, size: int) -> tuple[float, bool]:
    """Publish ``count`` messages; wait until every member has them or progress stalls."""
    replies = _Replies()
    publisher = await open_client(PUBLISH_PATH, port, replies)
    tally.expect(count)
    start = time.perf_counter()
    publisher.send_text(f"{count} {size}")
    last, last_change = -1, time.monotonic()
    while not tally.all_in.is_set():
        try:
            async with asyncio.timeout(0.5):
                await tally.all_in.wait()
        except TimeoutError:
            if tally.received != last:
                last, last_change = tally.received, time.monotonic()
            elif time.monotonic() - last_change > STALL:
                break
    elapsed = time.perf_counter() - start
    done = tally.all_in.is_set()
    if done and await replies.next() != _DONE:
        raise RuntimeError("the publisher did not answer done")
    publisher.close()
    return elapsed, done


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def _close_all(clients: list[Client]) -> None:
    for client in clients:
        client.close()
    if clients:
        async with asyncio.timeout(TIMEOUT):
            await asyncio.gather(*(c.lost for c in clients))


async def fanout(
    port: int, pid: int, clients: int, messages: int, size: int, *, gate: bool = False
) -> dict[str, Any]:
    """One publisher broadcasts ``messages`` to ``clients`` members; time until all have all.

    With ``gate``, print ``connected`` once the members are in the room and wait for a
    line on standard input before publishing (a profiler attaches in between).
    """
    tally = Tally()
    members, error = await connect_members(port, clients, tally)
    try:
        if error:
            return {"error": error}
        if gate:
            print("connected", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        cpu = server_cpu(pid)
        seconds, done = await _broadcast(port, tally, messages, size)
        cpu = server_cpu(pid) - cpu
    finally:
        await _close_all(members)
    return {
        "clients": clients,
        "messages": messages,
        "seconds": seconds,
        "delivered": tally.received,
        "complete": done,
        "wrong": tally.wrong,
        "server_cpu": cpu,
    }


async def hold(port: int, pid: int, steps: list[int]) -> dict[str, Any]:
    """Connect members up to each of ``steps`` (RSS at each); then one broadcast to them all."""
    tally = Tally()
    baseline = _rss_kib(pid)
    members: list[Client] = []
    held: list[dict[str, int]] = []
    error = ""
    try:
        for step in steps:
            more, error = await connect_members(port, step - len(members), tally, len(members))
            members += more
            alive = sum(1 for c in members if not c.lost.done())
            held.append({"connections": alive, "rss_kib": _rss_kib(pid)})
            if error:
                break
        reached = 0
        if not error:
            await _broadcast(port, tally, 1, 64)
            reached = tally.complete
    finally:
        await _close_all(members)
    return {"baseline_kib": baseline, "steps": held, "error": error, "broadcast_reached": reached}


async def echo(port: int, count: int, warm: int = 100) -> dict[str, Any]:
    """``count`` sequential echoes of a 32-byte text on one connection (after ``warm``)."""
    replies = _Replies()
    client = await open_client(ECHO_PATH, port, replies)
    text = "0123456789abcdef0123456789abcdef"
    expected = text.encode()
    clock = time.perf_counter_ns
    samples: list[float] = []
    try:
        for n in range(warm + count):
            start = clock()
            client.send_text(text)
            if await replies.next() != expected:
                raise RuntimeError("the echo differs from what was sent")
            if n >= warm:
                samples.append((clock() - start) / 1000)
    finally:
        await _close_all([client])
    samples.sort()
    return {
        "count": count,
        "median_us": statistics.median(samples),
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
    }


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    mode, port, pid = spec["mode"], int(spec["port"]), int(spec.get("pid", 0))
    if mode == "fanout":
        return await fanout(
            port,
            pid,
            spec["clients"],
            spec["messages"],
            spec["size"],
            gate=bool(spec.get("gate")),
        )
    if mode == "hold":
        return await hold(port, pid, spec["steps"])
    if mode == "echo":
        return await echo(port, spec["count"])
    if mode == "check":  # a small fan-out and one echo: the app works
        tally = Tally()
        members, error = await connect_members(port, 3, tally)
        try:
            if error:
                raise RuntimeError(error)
            _, done = await _broadcast(port, tally, 5, 8)
        finally:
            await _close_all(members)
        if not done or tally.received != 15 or tally.wrong:
            raise RuntimeError(f"check: {tally.received} of 15 messages, {tally.wrong} wrong")
        return await echo(port, 10, warm=0)
    raise ValueError(f"unknown mode {mode!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the mode the JSON argument describes; print its result as JSON."""
    spec = json.loads((argv or sys.argv[1:])[0])
    _raise_fd_limit()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover - depends on the environment
        runner = asyncio.run
    print(json.dumps(runner(_run(spec))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
