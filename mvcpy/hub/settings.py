"""The settings of the hub: ``[hub]``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import PositiveInt

from mvcpy.config.section import SECRET_URL, Section

__all__ = ["HubSettings"]


class HubSettings(Section):
    """``[hub]``: rooms and broadcasts, in one process or across workers (docs/realtime.md)."""

    #: memory (one process) | redis (every worker, every machine)
    backend: Literal["memory", "redis"] = "memory"
    redis_url: Annotated[str, SECRET_URL] = ""
    prefix: str = "mvcpy:hub:"
    #: messages queued per connection before the slow-consumer policy
    queue_size: PositiveInt = 256
    slow_consumer: Literal["drop_oldest", "disconnect"] = "drop_oldest"
