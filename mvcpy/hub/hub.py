"""The hub: rooms of WebSocket connections and event streams, and broadcasts to them.

Every process keeps its own subscribers (``id -> Subscriber``, ``room -> subscribers``)
and fans messages out to them without waiting. A broker carries broadcasts between
processes: :class:`~mvcpy.hub.memory.MemoryBroker` for one process, and
:class:`~mvcpy.hub.redis.RedisBroker` (Redis pub/sub) so that every worker on every
machine delivers to its own subscribers.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from mvcpy.errors import ConfigurationError
from mvcpy.http import _json
from mvcpy.hub.broker import Broker
from mvcpy.hub.fragments import fragment_message
from mvcpy.hub.settings import HubSettings
from mvcpy.hub.subscriber import (
    BACKLOGGED,
    POLICIES,
    REFUSED,
    Payload,
    Subscriber,
    SubscriberClosed,
)

if TYPE_CHECKING:
    from mvcpy.views.engine import Templates

__all__ = ["BACKENDS", "Broker", "Hub", "encode_message"]

logger = logging.getLogger("mvcpy.hub")

BACKENDS = ("memory", "redis")
#: the ``[hub]`` defaults, for a hub built without settings
_DEFAULTS = HubSettings()
_MAX_ROOM = 200


def encode_message(message: Any) -> Payload:
    """Return what subscribers receive: ``str`` and ``bytes`` as they are, anything else as JSON."""
    if isinstance(message, str | bytes):
        return message
    if isinstance(message, bytearray | memoryview):
        return bytes(message)
    return _json.dumps(message).decode()


def _check_room(room: str) -> str:
    if not isinstance(room, str) or not room or len(room) > _MAX_ROOM:
        raise ValueError(f"a room is a non-empty string of at most {_MAX_ROOM} characters")
    return room


class Hub:
    """Rooms of subscribers, broadcasts, direct messages and presence counts.

    ``app.hub`` is the app's hub, configured by ``[hub]``: ``backend`` (``memory`` or
    ``redis``), ``redis_url``, ``prefix``, ``queue_size`` and ``slow_consumer``.
    WebSocket controllers join rooms with ``await self.join(room)``; event streams
    subscribe with ``self.event_stream(room)`` in a controller.
    """

    def __init__(
        self,
        broker: Broker | None = None,
        *,
        templates: Templates | None = None,
        queue_size: int = _DEFAULTS.queue_size,
        slow_consumer: str = _DEFAULTS.slow_consumer,
    ) -> None:
        if slow_consumer not in POLICIES:
            raise ConfigurationError(
                f"[hub] slow_consumer = {slow_consumer!r} is not one of {', '.join(POLICIES)}"
            )
        if queue_size < 1:
            raise ConfigurationError("[hub] queue_size must be at least 1")
        if broker is None:
            from mvcpy.hub.memory import MemoryBroker

            broker = MemoryBroker()
        self.broker = broker
        #: renders :meth:`push_fragment`'s HTML (the app's templates)
        self.templates = templates
        self.queue_size = queue_size
        self.slow_consumer = slow_consumer
        #: this process's part of every connection id (``<worker>.<n>``)
        self.worker_id = secrets.token_hex(6)
        self._ids = itertools.count(1)
        self._subscribers: dict[str, Subscriber] = {}
        self._rooms: dict[str, set[Subscriber]] = {}
        self._started = False
        self._start_lock: asyncio.Lock | None = None
        #: messages sent to rooms from this process (broadcasts and fragments)
        self.published = 0
        #: messages handed to this process's subscribers
        self.delivered = 0
        #: told ``(event, n)`` for "published" and "delivered" messages (metrics)
        self.observers: list[Callable[[str, int], Any]] = []

    @classmethod
    def from_settings(cls, settings: HubSettings, templates: Templates | None = None) -> Hub:
        """Build the hub that ``[hub]`` describes."""
        broker: Broker
        if settings.backend == "redis":
            from mvcpy.hub.redis import RedisBroker

            broker = RedisBroker(settings.redis_url, settings.prefix)
        else:
            from mvcpy.hub.memory import MemoryBroker

            broker = MemoryBroker()
        return cls(
            broker,
            templates=templates,
            queue_size=settings.queue_size,
            slow_consumer=settings.slow_consumer,
        )

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Connect the broker (idempotent; the first use starts the hub too)."""
        if self._started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if not self._started:
                await self.broker.start(self)
                self._started = True

    async def close(self) -> None:
        """Close every subscriber and disconnect the broker."""
        for subscriber in list(self._subscribers.values()):
            subscriber.close()
        self._subscribers.clear()
        self._rooms.clear()
        if self._started:
            self._started = False
            await self.broker.close()

    # -- subscribers ------------------------------------------------------------------
    def new_id(self) -> str:
        """Return a connection id, unique across processes: ``<worker>.<n>``."""
        return f"{self.worker_id}.{next(self._ids)}"

    def subscriber(
        self, queue_size: int | None = None, slow_consumer: str | None = None
    ) -> Subscriber:
        """Return a new, registered subscriber with this hub's queue settings by default."""
        subscriber = Subscriber(
            self.new_id(), queue_size or self.queue_size, slow_consumer or self.slow_consumer
        )
        self.register(subscriber)
        return subscriber

    def register(self, subscriber: Subscriber) -> None:
        """Make ``subscriber`` reachable by :meth:`send_to` under its id."""
        self._subscribers[subscriber.id] = subscriber

    async def unregister(self, subscriber: Subscriber) -> None:
        """Take ``subscriber`` out of every room and forget it (on disconnect)."""
        self._subscribers.pop(subscriber.id, None)
        for room in list(subscriber.rooms):
            await self.leave(subscriber, room)
        subscriber.close()

    async def join(self, subscriber: Subscriber, room: str) -> None:
        """Put ``subscriber`` in ``room``; once this returns, broadcasts from anywhere reach it."""
        _check_room(room)
        if room in subscriber.rooms:
            return
        await self.start()
        members = self._rooms.setdefault(room, set())
        members.add(subscriber)
        subscriber.rooms.add(room)
        await self.broker.room_changed(room, len(members))

    async def leave(self, subscriber: Subscriber, room: str) -> None:
        """Take ``subscriber`` out of ``room`` (nothing happens when it is not in it)."""
        if room not in subscriber.rooms:
            return
        subscriber.rooms.discard(room)
        members = self._rooms.get(room)
        count = 0
        if members is not None:
            members.discard(subscriber)
            count = len(members)
            if not count:
                del self._rooms[room]
        if self._started:
            await self.broker.room_changed(room, count)

    # -- sending ----------------------------------------------------------------------
    async def broadcast(
        self, room: str, message: Any, *, exclude: str | Iterable[str] | None = None
    ) -> None:
        """Send ``message`` to everyone in ``room``, in every process, except ``exclude``.

        ``str`` goes as a text message, ``bytes`` as a binary one, anything else as JSON
        text. ``exclude`` is a connection id or several (the sender, usually).
        """
        _check_room(room)
        payload = encode_message(message)
        if exclude is None:
            excluded: frozenset[str] = frozenset()
        elif isinstance(exclude, str):
            excluded = frozenset((exclude,))
        else:
            excluded = frozenset(exclude)
        await self.start()
        await self.broker.publish(room, payload, excluded)
        self.published += 1
        for observer in self.observers:
            observer("published", 1)

    async def send_to(self, connection_id: str, message: Any) -> bool:
        """Send ``message`` to one connection, in whichever process holds it.

        Returns ``False`` when the connection is known to be gone (or full, under the
        ``disconnect`` policy), ``True`` when it was delivered or handed to the broker.
        """
        payload = encode_message(message)
        worker, _, _ = connection_id.partition(".")
        if worker == self.worker_id:
            return self.deliver_to(connection_id, payload)
        await self.start()
        return await self.broker.send_remote(worker, connection_id, payload)

    async def presence(self, room: str) -> int:
        """Return how many subscribers ``room`` has, across every process."""
        _check_room(room)
        await self.start()
        return await self.broker.presence(room)

    def local_presence(self, room: str) -> int:
        """Return how many subscribers ``room`` has in this process."""
        return len(self._rooms.get(room, ()))

    def rooms(self) -> list[str]:
        """Return the rooms that have subscribers in this process."""
        return list(self._rooms)

    async def push_fragment(
        self,
        room: str,
        template: str,
        block: str | None = None,
        *,
        target: str | None = None,
        action: str = "replace",
        exclude: str | Iterable[str] | None = None,
        **data: Any,
    ) -> str:
        """Render ``template`` (or one ``block`` of it) and push the HTML to ``room``.

        Subscribers get ``{"mvcpy": "fragment", "action", "target", "html"}``; the
        client script (``app.serve_live_script()``) applies it to the element whose id
        is ``target`` — by default the id of the fragment's first element. ``action``:
        ``replace`` (the element), ``update`` (its content), ``append``, ``prepend``,
        ``before``, ``after`` or ``remove``. Returns the HTML.
        """
        if self.templates is None:
            raise ConfigurationError("push_fragment needs a hub built by an app (app.hub)")
        html = self.templates.render_block(template, block, data)
        await self.broadcast(room, fragment_message(html, target, action), exclude=exclude)
        return html

    # -- delivery in this process (called by the broker) --------------------------------
    def deliver(self, room: str, payload: Payload, exclude: frozenset[str] = frozenset()) -> bool:
        """Offer ``payload`` to this process's subscribers of ``room``.

        Returns whether an outbox has just filled to half: the broker then yields to
        the event loop so the connections send what they have before more comes. (A
        stalled client's outbox crosses that mark once, so it does not make every
        broadcast yield.)
        """
        members = self._rooms.get(room)
        if not members:
            return False
        backlogged = False
        offered = 0
        # A copy: an overflowing subscriber may be taken out of the room while we iterate.
        for subscriber in tuple(members):
            if subscriber.id not in exclude:
                offered += 1
                if subscriber.offer(payload) == BACKLOGGED:
                    backlogged = True
        self._delivered(offered)
        return backlogged

    def deliver_to(self, connection_id: str, payload: Payload) -> bool:
        """Offer ``payload`` to this process's subscriber ``connection_id``."""
        subscriber = self._subscribers.get(connection_id)
        if subscriber is None:
            return False
        self._delivered(1)
        return subscriber.offer(payload) != REFUSED

    def _delivered(self, count: int) -> None:
        self.delivered += count
        for observer in self.observers:
            observer("delivered", count)

    def stats(self) -> dict[str, Any]:
        """This process's connections, rooms (with their local members) and message
        counts (the operations page)."""
        return {
            "connections": len(self._subscribers),
            "rooms": {room: len(members) for room, members in self._rooms.items()},
            "published": self.published,
            "delivered": self.delivered,
        }

    # -- event streams ------------------------------------------------------------------
    async def stream(self, room: str) -> AsyncIterator[str]:
        """Yield the text messages sent to ``room`` (an event stream's source).

        Binary messages are skipped: server-sent events carry text only. The
        subscription ends, and leaves the room, when the stream is closed.
        """
        subscriber = self.subscriber()
        try:
            await self.join(subscriber, room)
            while True:
                try:
                    payload = await subscriber.get()
                except SubscriberClosed:
                    return
                if isinstance(payload, str):
                    yield payload
        finally:
            await self.unregister(subscriber)

    def __repr__(self) -> str:
        return (
            f"<Hub {type(self.broker).__name__} worker={self.worker_id} "
            f"subscribers={len(self._subscribers)} rooms={len(self._rooms)}>"
        )
