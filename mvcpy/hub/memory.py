"""The in-process broker: broadcasts reach the subscribers of this process only."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mvcpy.hub.broker import LocalHub
    from mvcpy.hub.subscriber import Payload

__all__ = ["MemoryBroker"]


class MemoryBroker:
    """Deliver in this process: right for one worker; with several, use the Redis broker."""

    def __init__(self) -> None:
        self._hub: LocalHub | None = None

    async def start(self, hub: LocalHub) -> None:
        """Remember the hub to deliver to."""
        self._hub = hub

    async def close(self) -> None:
        """Forget the hub."""
        self._hub = None

    async def publish(self, room: str, payload: Payload, exclude: frozenset[str]) -> None:
        """Deliver to this process's subscribers of ``room``."""
        if self._hub is not None and self._hub.deliver(room, payload, exclude):
            # An outbox is half full: let the connections send before more comes, or a
            # tight loop of broadcasts would overflow clients that keep up just fine.
            # PERF: only then: yielding on every broadcast woke every connection's sender
            # once per message (fan-out to 1,000: 24k -> 64-75k messages/s, BENCHMARKS.md).
            await asyncio.sleep(0)

    async def send_remote(self, worker: str, connection_id: str, payload: Payload) -> bool:
        """There is no other process: a connection id from elsewhere is never reachable."""
        return False

    async def room_changed(self, room: str, local_count: int) -> None:
        """Nothing to record: presence is the local count."""

    async def presence(self, room: str) -> int:
        """Return the number of this process's subscribers in ``room``."""
        return self._hub.local_presence(room) if self._hub is not None else 0
