"""The token-bucket types the rate limit and its back ends share."""

from __future__ import annotations

from typing import NamedTuple, Protocol

__all__ = ["Backend", "Decision"]


class Decision(NamedTuple):
    """What the bucket said: allowed or not, and the tokens left after this request."""

    allowed: bool
    remaining: float


class Backend(Protocol):
    """Where buckets live; ``take`` must be atomic for one key."""

    async def take(self, key: str, capacity: int, refill_per_second: float) -> Decision:
        """Take one token from bucket ``key`` if it has one."""
        ...
