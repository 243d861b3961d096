"""The Redis broker: broadcasts over pub/sub, so every worker on every machine delivers them.

Each process subscribes to the channel of each room it has subscribers in, and to a
channel of its own for messages to one of its connections (a connection id names its
process). Presence is a hash per room of ``worker -> count``; a worker's counts are
believed only while its heartbeat key lives, so a killed worker is forgotten within
``HEARTBEAT_TTL`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from mvcpy.errors import ConfigurationError

if TYPE_CHECKING:
    from mvcpy.hub.broker import LocalHub
    from mvcpy.hub.subscriber import Payload

__all__ = ["HEARTBEAT_INTERVAL", "HEARTBEAT_TTL", "RedisBroker", "pack", "unpack"]

logger = logging.getLogger("mvcpy.hub")

HEARTBEAT_INTERVAL = 10.0
HEARTBEAT_TTL = 30
#: How long a join waits for Redis to confirm the room's subscription.
SUBSCRIBE_TIMEOUT = 10.0
#: How long closing waits for each step of tidying up in Redis.
CLOSE_TIMEOUT = 2.0
_RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)


def pack(payload: Payload, **header: Any) -> bytes:
    """Frame a payload for a channel: one JSON header line, then the message's bytes."""
    header["k"] = "t" if isinstance(payload, str) else "b"
    body = payload.encode() if isinstance(payload, str) else payload
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + body


def unpack(data: bytes) -> tuple[dict[str, Any], Payload]:
    """Read what :func:`pack` framed: the header and the payload as it was sent."""
    line, _, body = data.partition(b"\n")
    header: dict[str, Any] = json.loads(line)
    return header, (body.decode() if header.get("k") == "t" else body)


class RedisBroker:
    """Carry broadcasts between processes through Redis pub/sub.

    Needs redis-py: ``pip install 'mvcpy-web[redis]'``.
    """

    def __init__(self, url: str, prefix: str = "mvcpy:hub:") -> None:
        try:
            import redis.asyncio  # noqa: F401
        except ImportError as exc:  # pragma: no cover - redis is installed in development
            raise ConfigurationError(
                "[hub] backend = 'redis' needs redis-py: pip install 'mvcpy-web[redis]'"
            ) from exc
        if not url:
            raise ConfigurationError("[hub] backend = 'redis' needs redis_url")
        self.url = url
        self.prefix = prefix
        self._hub: LocalHub | None = None
        self._client: Any = None
        self._pubsub: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        # Subscriptions waiting for Redis to confirm them, oldest first per channel.
        self._pending: dict[bytes, deque[asyncio.Future[None]]] = {}
        self._subscribed: set[str] = set()
        self._room_locks: dict[str, asyncio.Lock] = {}

    # -- names --------------------------------------------------------------------------
    def room_channel(self, room: str) -> str:
        """The pub/sub channel of ``room``."""
        return f"{self.prefix}room:{room}"

    def worker_channel(self, worker: str) -> str:
        """The pub/sub channel of messages to the connections of process ``worker``."""
        return f"{self.prefix}worker:{worker}"

    def client_name(self, hub: LocalHub) -> str:
        """The Redis client name of this worker's connections (``CLIENT LIST`` shows it)."""
        return f"mvcpy-hub-{hub.worker_id}"

    def _presence_key(self, room: str) -> str:
        return f"{self.prefix}presence:{room}"

    def _alive_key(self, worker: str) -> str:
        return f"{self.prefix}alive:{worker}"

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self, hub: LocalHub) -> None:
        """Connect, subscribe to this process's channel, start listening and the heartbeat."""
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import RedisError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self._hub = hub
        self._client = aioredis.Redis.from_url(
            self.url,
            # Named, so that CLIENT LIST tells which worker's hub a connection belongs to.
            client_name=self.client_name(hub),
            # A dropped connection (a Redis restart, a failover) is reopened, not an error.
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError, OSError],
        )
        try:
            await self._client.set(self._alive_key(hub.worker_id), b"1", ex=HEARTBEAT_TTL)
            self._pubsub = self._client.pubsub()
            await self._subscribe(self.worker_channel(hub.worker_id))
        except (RedisError, OSError) as exc:
            await self._client.aclose()
            raise ConfigurationError(f"[hub] cannot reach Redis at {self.url}: {exc}") from exc
        self._tasks = [
            asyncio.get_running_loop().create_task(self._listen(), name="mvcpy-hub-listen"),
            asyncio.get_running_loop().create_task(self._heartbeat(), name="mvcpy-hub-heartbeat"),
        ]
        # Only now is someone reading the confirmations.
        await self._wait_confirmed(self.worker_channel(hub.worker_id))

    async def close(self) -> None:
        """Stop listening, forget this process's presence and disconnect."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        hub, client = self._hub, self._client
        if client is None or hub is None:
            return
        # Redis may be gone: then there is nothing left to tidy, and no reason to wait.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT), client.pipeline(transaction=False) as pipe:
                for room in self._subscribed:
                    pipe.hdel(self._presence_key(room), hub.worker_id)
                pipe.delete(self._alive_key(hub.worker_id))
                await pipe.execute()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await client.aclose()
        self._subscribed.clear()
        for waiters in self._pending.values():
            for waiter in waiters:
                waiter.cancel()
        self._pending.clear()
        self._client = self._pubsub = self._hub = None

    # -- the broker protocol ------------------------------------------------------------
    async def publish(self, room: str, payload: Payload, exclude: frozenset[str]) -> None:
        """Publish to the room's channel; every subscribed process delivers it."""
        header = {"x": sorted(exclude)} if exclude else {}
        await self._client.publish(self.room_channel(room), pack(payload, **header))

    async def send_remote(self, worker: str, connection_id: str, payload: Payload) -> bool:
        """Publish to the worker's channel; ``False`` when no process listens there."""
        receivers = await self._client.publish(
            self.worker_channel(worker), pack(payload, to=connection_id)
        )
        return bool(receivers)

    async def room_changed(self, room: str, local_count: int) -> None:
        """Subscribe on the first local member, unsubscribe after the last; record presence.

        Changes of one room run one at a time, each writing the count as it is when it
        runs (not ``local_count``, the count when it was asked for): a leave's late HDEL
        can no longer erase the join that followed it.
        """
        assert self._hub is not None
        lock = self._room_locks.setdefault(room, asyncio.Lock())
        async with lock:
            await self._room_changed(room, self._hub.local_presence(room))
        if not lock.locked() and not self._hub.local_presence(room):
            self._room_locks.pop(room, None)

    async def _room_changed(self, room: str, local_count: int) -> None:
        assert self._hub is not None
        channel = self.room_channel(room)
        worker = self._hub.worker_id
        if local_count:
            await self._client.hset(self._presence_key(room), worker, local_count)
            if room not in self._subscribed:
                self._subscribed.add(room)
                await self._subscribe(channel)
                await self._wait_confirmed(channel)
            return
        await self._client.hdel(self._presence_key(room), worker)
        if room in self._subscribed:
            self._subscribed.discard(room)
            await self._pubsub.unsubscribe(channel)

    async def presence(self, room: str) -> int:
        """Sum the counts of live workers; forget the counts of dead ones."""
        counts: dict[bytes, bytes] = await self._client.hgetall(self._presence_key(room))
        if not counts:
            return 0
        workers = list(counts)
        alive = await self._client.mget([self._alive_key(w.decode()) for w in workers])
        dead = [w for w, live in zip(workers, alive, strict=True) if live is None]
        if dead:
            await self._client.hdel(self._presence_key(room), *dead)
        return sum(int(counts[w]) for w, live in zip(workers, alive, strict=True) if live)

    # -- subscriptions and the listener -------------------------------------------------
    async def _subscribe(self, channel: str) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._pending.setdefault(channel.encode(), deque()).append(waiter)
        await self._pubsub.subscribe(channel)

    async def _wait_confirmed(self, channel: str) -> None:
        waiters = self._pending.get(channel.encode())
        if not waiters:
            return
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                await asyncio.shield(waiters[-1])
        except TimeoutError:
            logger.warning("Redis did not confirm the subscription to %s in time", channel)

    def _confirmed(self, channel: bytes) -> None:
        waiters = self._pending.get(channel)
        if waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
            if not waiters:
                del self._pending[channel]

    async def _listen(self) -> None:
        from redis.exceptions import RedisError

        failures = 0
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except (RedisError, OSError) as exc:
                delay = _RETRY_DELAYS[min(failures, len(_RETRY_DELAYS) - 1)]
                failures += 1
                logger.warning("hub: Redis pub/sub failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if message is None:
                continue
            kind = message["type"]
            if kind == "message":
                if self._dispatch(message["channel"], message["data"]):
                    # Reading buffered messages never waits: when an outbox is half full,
                    # let the connections send before the next, or a burst would overflow
                    # clients that keep up.
                    await asyncio.sleep(0)
            elif kind == "subscribe":
                self._confirmed(message["channel"])

    def _dispatch(self, channel: bytes, data: bytes) -> bool:
        """Deliver one pub/sub message; return whether an outbox is backlogged."""
        hub = self._hub
        if hub is None:
            return False
        try:
            header, payload = unpack(data)
        except (ValueError, UnicodeDecodeError):
            logger.warning("hub: dropped a malformed message on %r", channel)
            return False
        target = header.get("to")
        if target is not None:
            hub.deliver_to(str(target), payload)
            return False
        room = channel.decode()[len(self.prefix) + len("room:") :]
        return hub.deliver(room, payload, frozenset(header.get("x") or ()))

    async def _heartbeat(self) -> None:
        from redis.exceptions import RedisError

        assert self._hub is not None
        key = self._alive_key(self._hub.worker_id)
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            try:
                await self._client.set(key, b"1", ex=HEARTBEAT_TTL)
                if self._subscribed:  # counts lost in a Redis restart come back
                    async with self._client.pipeline(transaction=False) as pipe:
                        for room in self._subscribed:
                            pipe.hset(
                                self._presence_key(room),
                                self._hub.worker_id,
                                self._hub.local_presence(room),
                            )
                        await pipe.execute()
            except (RedisError, OSError) as exc:
                logger.warning("hub: heartbeat to Redis failed: %s", exc)
