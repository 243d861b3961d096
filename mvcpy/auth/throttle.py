"""Throttles for login and password-reset attempts: per address and per account.

A :class:`~mvcpy.filters.ratelimit.RateLimit` whose rate and backend come from
``[auth]`` (``throttle_rate``, ``throttle_redis_url``) when the app starts, keyed by the
client's address or by the account named in the submitted form or JSON body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.auth.settings import AuthSettings
from mvcpy.errors import HTTPError
from mvcpy.filters.ratelimit import MemoryBackend, RateLimit

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context

__all__ = ["AuthThrottle", "submitted_field"]


def submitted_field(name: str) -> Any:
    """Return a key function reading form or JSON field ``name``, lower-cased and trimmed
    (``None`` when it is missing, and the address counts instead)."""

    async def key(ctx: Context) -> str | None:
        request = ctx.request
        try:
            if request.content_type == "application/json":
                body = await request.json()
                value = body.get(name) if isinstance(body, dict) else None
                if value is None and isinstance(body, dict):  # {"user": {"email": ...}}
                    nested = [v for v in body.values() if isinstance(v, dict)]
                    value = nested[0].get(name) if len(nested) == 1 else None
            else:
                value = (await request.form()).get(name)
        except HTTPError:
            return None  # a body the action will refuse with its own reason
        if not isinstance(value, str) or not value.strip():
            return None
        return f"{name}={value.strip().lower()}"

    key.__qualname__ = f"submitted_field({name!r})"
    return key


class AuthThrottle(RateLimit):
    """Limit attempts by ``"ip"`` or by a submitted field (``"email"``), at ``[auth]
    throttle_rate``, in memory or in Redis (``throttle_redis_url``)."""

    __slots__ = ()

    def __init__(self, key: str = "ip", *, name: str = "auth") -> None:
        key_function = "ip" if key == "ip" else submitted_field(key)
        super().__init__(AuthSettings().throttle_rate, key=key_function, name=f"{name}:{key}")

    def bind(self, app: Application) -> None:
        """Take the rate and the backend from ``[auth]``."""
        settings = app.config.section_of(AuthSettings)
        self.set_rate(settings.throttle_rate)
        if settings.throttle_redis_url:
            from mvcpy.filters.ratelimit_redis import RedisBackend

            self.backend = RedisBackend(settings.throttle_redis_url)
        else:
            self.backend = MemoryBackend()
        super().bind(app)

    def reset(self) -> None:
        """Forget every attempt counted in memory (for tests; Redis budgets expire alone)."""
        if isinstance(self.backend, MemoryBackend):
            self.backend.clear()
