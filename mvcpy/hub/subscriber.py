"""One receiving end of the hub: a bounded outbox that never makes the sender wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["POLICIES", "Payload", "Subscriber", "SubscriberClosed"]

#: What a subscriber receives: a text message (``str``) or a binary one (``bytes``).
Payload = str | bytes

#: What happens when a subscriber's outbox is full: drop its oldest message, or disconnect it.
POLICIES = ("drop_oldest", "disconnect")

_CLOSED = object()


class SubscriberClosed(Exception):
    """The subscriber takes no more messages: it overflowed under ``disconnect``, or closed."""


class Subscriber:
    """A WebSocket connection or an event stream as the hub sees it.

    Messages are offered without waiting: they go into a bounded queue that the
    connection drains at its own pace, so one slow client never slows the others. When
    the queue is full, ``drop_oldest`` discards the oldest queued message (``dropped``
    counts them) and ``disconnect`` closes the subscriber and calls ``on_overflow``.
    """

    __slots__ = ("closed", "dropped", "id", "on_overflow", "policy", "queue", "rooms")

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
        self.queue: asyncio.Queue[Payload | object] = asyncio.Queue(queue_size)
        #: the rooms this subscriber is in
        self.rooms: set[str] = set()
        #: messages discarded because the outbox was full (``drop_oldest``)
        self.dropped = 0
        #: no more messages are taken (disconnected, or overflowed under ``disconnect``)
        self.closed = False

    def offer(self, payload: Payload) -> bool:
        """Queue ``payload`` without waiting; return whether it was taken."""
        if self.closed:
            return False
        queue = self.queue
        try:
            queue.put_nowait(payload)
            return True
        except asyncio.QueueFull:
            pass
        if self.policy == "drop_oldest":
            queue.get_nowait()
            self.dropped += 1
            queue.put_nowait(payload)
            return True
        self.close()
        if self.on_overflow is not None:
            self.on_overflow()
        return False

    def close(self) -> None:
        """Take no more messages; a waiting :meth:`get` raises SubscriberClosed."""
        if self.closed:
            return
        self.closed = True
        queue = self.queue
        while not queue.empty():  # what was queued will never be sent: free it now
            queue.get_nowait()
        queue.put_nowait(_CLOSED)

    async def get(self) -> Payload:
        """Wait for the next queued message; raise SubscriberClosed once closed."""
        payload = await self.queue.get()
        if payload is _CLOSED:
            self.queue.put_nowait(_CLOSED)  # every later get() says so too
            raise SubscriberClosed(self.id)
        return payload  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} rooms={sorted(self.rooms)} queued={self.queue.qsize()}>"
