"""What a broker is, and what it sees of the hub it delivers to (no import of the hub)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mvcpy.hub.subscriber import Payload

__all__ = ["Broker", "LocalHub"]


class LocalHub(Protocol):
    """This process's hub, as a broker sees it."""

    worker_id: str

    def deliver(self, room: str, payload: Payload, exclude: frozenset[str] = frozenset()) -> bool:
        """Offer ``payload`` to this process's subscribers of ``room``."""
        ...

    def deliver_to(self, connection_id: str, payload: Payload) -> bool:
        """Offer ``payload`` to one connection of this process."""
        ...

    def local_presence(self, room: str) -> int:
        """Return how many subscribers ``room`` has in this process."""
        ...


class Broker(Protocol):
    """Carries broadcasts between processes; each process's hub delivers to its own subscribers."""

    async def start(self, hub: LocalHub) -> None:
        """Connect; from now on, deliver what arrives to ``hub``."""
        ...

    async def close(self) -> None:
        """Disconnect and forget this process's presence."""
        ...

    async def publish(self, room: str, payload: Payload, exclude: frozenset[str]) -> None:
        """Deliver ``payload`` to the subscribers of ``room`` in every process."""
        ...

    async def send_remote(self, worker: str, connection_id: str, payload: Payload) -> bool:
        """Deliver ``payload`` to ``connection_id`` in process ``worker``; whether it may arrive."""
        ...

    async def room_changed(self, room: str, local_count: int) -> None:
        """Record that this process now has ``local_count`` subscribers in ``room``."""
        ...

    async def presence(self, room: str) -> int:
        """Return how many subscribers ``room`` has across every process."""
        ...
