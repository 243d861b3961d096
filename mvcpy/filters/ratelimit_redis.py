"""The Redis rate-limit backend: one atomic Lua script per request, shared by every worker."""

from __future__ import annotations

import importlib
from typing import Any

from mvcpy.errors import ConfigurationError
from mvcpy.filters._bucket import Decision

__all__ = ["RedisBackend"]

# Refill and take in one step on the server, with the server's clock, so that workers
# on several machines agree and two requests can never both take the last token.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisBackend:
    """Token buckets in Redis: ``RedisBackend("redis://localhost:6379/0")`` or a client.

    Needs the ``redis`` package: ``pip install 'mvcpy-web[redis]'``. Keys are
    ``<prefix><limiter name>:<subject>`` and expire once the bucket would be full.
    """

    __slots__ = ("_client", "_script", "prefix", "url")

    def __init__(self, url: str | None = None, *, client: Any = None, prefix: str = "mvcpy:rl:"):
        if (url is None) == (client is None):
            raise ConfigurationError("RedisBackend needs a url or a client")
        try:
            redis_asyncio = importlib.import_module("redis.asyncio")
        except ImportError:
            raise ConfigurationError(
                "the Redis rate-limit backend needs redis: pip install 'mvcpy-web[redis]'"
            ) from None
        self.url = url
        self.prefix = prefix
        self._client = client if client is not None else redis_asyncio.from_url(url)
        self._script = self._client.register_script(_TAKE)

    async def take(self, key: str, capacity: int, refill_per_second: float) -> Decision:
        """Take one token from bucket ``key`` atomically on the server."""
        allowed, tokens = await self._script(
            keys=[self.prefix + key], args=[capacity, repr(refill_per_second)]
        )
        return Decision(bool(allowed), float(tokens))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"RedisBackend({self.url!r})"
