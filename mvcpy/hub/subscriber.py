"""One receiving end of the hub: a bounded outbox that never makes the sender wait."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

__all__ = [
    "BACKLOGGED",
    "POLICIES",
    "QUEUED",
    "REFUSED",
    "Payload",
    "Subscriber",
    "SubscriberClosed",
]

#: What a subscriber receives: a text message (``str``) or a binary one (``bytes``).
Payload = str | bytes

#: What happens when a subscriber's outbox is full: drop its oldest message, or disconnect it.
POLICIES = ("drop_oldest", "disconnect")

#: What :meth:`Subscriber.offer` says: not taken; queued; queued, and the outbox has just
#: filled to half (whoever is sending should yield, so that the connections catch up).
REFUSED, QUEUED, BACKLOGGED = 0, 1, 2


class SubscriberClosed(Exception):
    """The subscriber takes no more messages: it overflowed under ``disconnect``, or closed."""


class Subscriber:
    """A WebSocket connection or an event stream as the hub sees it.

    Messages are offered without waiting: they go into a bounded outbox that the
    connection drains at its own pace, so one slow client never slows the others. When
    the outbox is full, ``drop_oldest`` discards the oldest queued message (``dropped``
    counts them) and ``disconnect`` closes the subscriber and calls ``on_overflow``.
    """

    # PERF: a deque and one waiting future, not an asyncio.Queue: offer() is called once
    # per message and member (3 KiB less per connection, ~10% of a fan-out's CPU).
    __slots__ = (
        "_half",
        "_items",
        "_waiter",
        "closed",
        "dropped",
        "id",
        "on_overflow",
        "policy",
        "queue_size",
        "rooms",
    )

    def __init__(
        self,
        id: str,
        queue_size: int = 256,
        policy: str = "drop_oldest",
        on_overflow: Callable[[], object] | None = None,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"slow-consumer policy {policy!r} is not one of {', '.join(POLICIES)}")
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.id = id
        self.policy = policy
        self.on_overflow = on_overflow
        self.queue_size = queue_size
        self._half = max(1, queue_size // 2)
        self._items: deque[Payload] = deque()
        self._waiter: asyncio.Future[None] | None = None
        #: the rooms this subscriber is in
        self.rooms: set[str] = set()
        #: messages discarded because the outbox was full (``drop_oldest``)
        self.dropped = 0
        #: no more messages are taken (disconnected, or overflowed under ``disconnect``)
        self.closed = False

    @property
    def pending(self) -> int:
        """How many messages wait in the outbox."""
        return len(self._items)

    def offer(self, payload: Payload) -> int:
        """Queue ``payload`` without waiting: ``REFUSED``, ``QUEUED`` or ``BACKLOGGED``."""
        if self.closed:
            return REFUSED
        items = self._items
        if len(items) >= self.queue_size:
            if self.policy != "drop_oldest":
                self.close()
                if self.on_overflow is not None:
                    self.on_overflow()
                return REFUSED
            items.popleft()
            self.dropped += 1
        items.append(payload)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return BACKLOGGED if len(items) == self._half else QUEUED

    def close(self) -> None:
        """Take no more messages; a waiting :meth:`get` raises SubscriberClosed."""
        if self.closed:
            return
        self.closed = True
        self._items.clear()  # what was queued will never be sent: free it now
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Payload:
        """Wait for the next queued message; raise SubscriberClosed once closed."""
        items = self._items
        while not items:
            if self.closed:
                raise SubscriberClosed(self.id)
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            await waiter
        if self.closed:
            raise SubscriberClosed(self.id)
        return items.popleft()

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} rooms={sorted(self.rooms)} queued={len(self._items)}>"
