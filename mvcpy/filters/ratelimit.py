"""Rate limiting: a token bucket per client, user, API key or any key, in memory or in Redis."""

from __future__ import annotations

import inspect
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error
from mvcpy.filters._bucket import Backend, Decision

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.filters.chain import CallNext
    from mvcpy.http.response import Response

__all__ = ["Backend", "Decision", "MemoryBackend", "RateLimit", "parse_rate"]

logger = logging.getLogger("mvcpy.ratelimit")

KeyFunction = Callable[["Context"], "str | Awaitable[str | None] | None"]

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
            "hour": 3600, "d": 86400, "day": 86400}  # fmt: skip
_RATE = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*([a-z]+?)s?\s*$")


def parse_rate(rate: str) -> tuple[int, float]:
    """Read ``"100/minute"``, ``"5/s"``, ``"1000 per hour"``, ``"10/30s"`` as (count, seconds)."""
    match = _RATE.fullmatch(rate.lower())
    unit = match.group(3) if match else ""
    if match is None or unit not in _PERIODS:
        raise ValueError(f"not a rate: {rate!r} (use e.g. '100/minute', '5/s', '10/30s')")
    count = int(match.group(1))
    multiple = int(match.group(2)) if match.group(2) else 1
    if count < 1 or multiple < 1:
        raise ValueError(f"not a rate: {rate!r} (the count and period must be positive)")
    return count, float(multiple * _PERIODS[unit])


class MemoryBackend:
    """Buckets in this process's memory: right for one worker, wrong for several.

    At most ``max_keys`` buckets are kept; when full, the buckets that have refilled
    completely (and so carry no information) are dropped, then the oldest.
    """

    __slots__ = ("_buckets", "clock", "max_keys")

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str, capacity: int, refill_per_second: float) -> Decision:
        """Take one token from bucket ``key`` (atomic: no await in between)."""
        now = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            tokens = float(capacity)
            if len(self._buckets) >= self.max_keys:
                self._evict(now, capacity, refill_per_second)
        else:
            tokens, stamp = bucket
            tokens = min(float(capacity), tokens + max(0.0, now - stamp) * refill_per_second)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)  # re-inserted last: dict order is recency
        return Decision(allowed, tokens)

    def clear(self) -> None:
        """Forget every bucket (between tests)."""
        self._buckets.clear()

    def _evict(self, now: float, capacity: int, rate: float) -> None:
        full = [
            k for k, (tokens, stamp) in self._buckets.items()
            if tokens + (now - stamp) * rate >= capacity
        ]  # fmt: skip
        for key in full:
            del self._buckets[key]
        while len(self._buckets) >= self.max_keys:
            del self._buckets[next(iter(self._buckets))]


def _client_key(ctx: Context) -> str | None:
    client = ctx.request.client
    return client[0] if client else None


def _user_key(ctx: Context) -> str | None:
    user = ctx.state.get("user")
    if user is None:
        return None
    return str(getattr(user, "id", user))


def _api_key(ctx: Context) -> str | None:
    return ctx.request.headers.get("x-api-key")


_KEYS: dict[str, KeyFunction] = {"ip": _client_key, "user": _user_key, "api_key": _api_key}


class RateLimit:
    """Allow ``rate`` requests (``"100/minute"``) per key, with bursts up to ``burst``.

    A token bucket holding ``burst`` tokens (default: the rate's count) refills at the
    rate's pace; each request takes one. ``key`` is ``"ip"`` (the client address;
    put :class:`~mvcpy.filters.proxies.ProxyHeaders` first behind a proxy),
    ``"user"`` (``ctx.state.user``), ``"api_key"`` (the ``X-API-Key`` header) or a
    function ``ctx -> str | None`` (sync or async: an async one may read the body); when
    the key is missing the client address is used. Limited requests get ``429`` with
    ``Retry-After``; every answer carries ``RateLimit-Limit``, ``RateLimit-Remaining``
    and ``RateLimit-Reset``.

    ``backend`` is :class:`MemoryBackend` (one process) by default, or
    ``RedisBackend(url)`` (``mvcpy.filters.ratelimit_redis``) to share budgets between
    workers and machines. ``name`` separates limiters that share a backend. When the
    backend fails the request is let through (``fail_open``) and the error logged.
    """

    __slots__ = ("_key", "_key_is_async", "_limit_header", "_rate", "backend", "capacity",
                 "count", "fail_open", "key", "name", "period", "rate")  # fmt: skip

    def __init__(
        self,
        rate: str,
        *,
        burst: int | None = None,
        key: str | KeyFunction = "ip",
        backend: Backend | None = None,
        name: str | None = None,
        fail_open: bool = True,
    ) -> None:
        self.set_rate(rate, burst)
        if isinstance(key, str):
            if key not in _KEYS:
                raise ValueError(f"key must be one of {sorted(_KEYS)} or a function")
            self._key = _KEYS[key]
        else:
            self._key = key
        # Decided once: a sync key (the usual) costs no awaitable check per request.
        self._key_is_async = inspect.iscoroutinefunction(self._key)
        self.key = key
        self.backend: Backend = backend if backend is not None else MemoryBackend()
        key_name = key if isinstance(key, str) else getattr(key, "__qualname__", "key")
        self.name = name or f"{self.count}/{self.period:g}s:{key_name}"
        self.fail_open = fail_open

    def set_rate(self, rate: str, burst: int | None = None) -> None:
        """Allow ``rate`` (``"100/minute"``) with bursts up to ``burst`` (default: its count)."""
        count, period = parse_rate(rate)
        capacity = burst if burst is not None else count
        if capacity < 1:
            raise ValueError("burst must be at least 1")
        self.rate, self.count, self.period, self.capacity = rate, count, period, capacity
        self._rate = count / period
        self._limit_header = str(capacity)

    @classmethod
    def from_config(cls, app: Application, options: dict[str, Any]) -> RateLimit:
        """Build from ``[filters.rate_limit]``: ``rate``, ``burst``, ``key``, ``redis_url``."""
        redis_url = options.pop("redis_url", None)
        if redis_url:
            from mvcpy.filters.ratelimit_redis import RedisBackend

            options["backend"] = RedisBackend(redis_url)
        return cls(**options)

    def bind(self, app: Application) -> None:
        """Close the backend's connections when the app shuts down."""
        close = getattr(self.backend, "close", None)
        if close is not None:
            app.on_shutdown(close)

    async def __call__(self, ctx: Context, call_next: CallNext) -> Response:
        """Take a token for this request's key; 429 when the bucket is empty."""
        found = await self._key(ctx) if self._key_is_async else self._key(ctx)  # type: ignore[misc]
        subject = found or _client_key(ctx) or "-"
        try:
            decision = await self.backend.take(f"{self.name}:{subject}", self.capacity, self._rate)
        except Exception:
            if not self.fail_open:
                raise
            logger.exception("rate limit backend failed; letting the request through")
            response: Response = await call_next(ctx)
            return response
        remaining = decision.remaining
        headers = {
            "ratelimit-limit": self._limit_header,
            "ratelimit-remaining": str(int(remaining)),
            "ratelimit-reset": str(math.ceil((self.capacity - remaining) / self._rate)),
        }
        if not decision.allowed:
            headers["retry-after"] = str(max(1, math.ceil((1.0 - remaining) / self._rate)))
            return await answer_error(
                ctx, HTTPError(429, "Too many requests; retry later", headers)
            )
        response = await call_next(ctx)
        raw = response.raw_headers
        for name, value in headers.items():
            raw.append((name.encode(), value.encode()))
        return response

    def __repr__(self) -> str:
        return f"RateLimit({self.rate!r}, burst={self.capacity}, name={self.name!r})"
