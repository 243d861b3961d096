"""A Redis session store: one hash per session with a TTL, shared by every worker."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from mvcpy.errors import ConfigurationError
from mvcpy.sessions.store import SessionStore

__all__ = ["RedisStore"]

#: update an existing session hash in one step: KEYS[1] the hash; ARGV the TTL in
#: seconds, the number n of changed fields, n field/value pairs, then the fields to delete
_UPDATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then
    return 0
end
local n = tonumber(ARGV[2])
for i = 3, 2 + 2 * n, 2 do
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
for i = 3 + 2 * n, #ARGV do
    redis.call('HDEL', KEYS[1], ARGV[i])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


class RedisStore(SessionStore):
    """Keep each session in a Redis hash ``<prefix><sid>``, one field per key, with a TTL."""

    def __init__(self, url: str, prefix: str = "mvcpy:session:") -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - redis is installed in development
            raise ConfigurationError(
                "the redis session store needs redis-py: pip install 'mvcpy-web[redis]'"
            ) from exc
        if not url:
            raise ConfigurationError("[session] backend = 'redis' needs redis_url")
        self.prefix = prefix
        self._client = redis.Redis.from_url(url)
        self._update = self._client.register_script(_UPDATE)

    def load(self, sid: str) -> dict[str, Any] | None:
        """Return session ``sid``'s data, or ``None`` when it is unknown or expired."""
        raw: dict[bytes, bytes] = self._client.hgetall(self.prefix + sid)  # type: ignore[assignment]
        if not raw:
            return None
        return {key.decode(): json.loads(value) for key, value in raw.items() if key != b"_"}

    def save(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> None:
        """Set the changed fields, delete the deleted ones and renew the TTL, atomically."""
        name = self.prefix + sid
        pipe = self._client.pipeline(transaction=True)
        # "_" marks the session as existing even when every key has been deleted.
        mapping: dict[str, str] = {key: json.dumps(value) for key, value in changed.items()}
        mapping["_"] = "1"
        pipe.hset(name, mapping=mapping)  # type: ignore[arg-type]
        gone = [key for key in deleted if key not in changed]
        if gone:
            pipe.hdel(name, *gone)
        pipe.expire(name, max_age)
        pipe.execute()

    def update(
        self, sid: str, changed: Mapping[str, Any], deleted: Iterable[str], max_age: int
    ) -> bool:
        """Like :meth:`save` if the hash still exists (a Lua script: one atomic step)."""
        args: list[str | int] = [max_age, len(changed)]
        for key, value in changed.items():
            args += [key, json.dumps(value)]
        args += [key for key in deleted if key not in changed]
        return bool(self._update(keys=[self.prefix + sid], args=args))

    def touch(self, sid: str, max_age: int) -> None:
        """Renew the TTL of session ``sid``."""
        self._client.expire(self.prefix + sid, max_age)

    def delete(self, sid: str) -> None:
        """Forget session ``sid``."""
        self._client.delete(self.prefix + sid)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
