"""The uvicorn options that come from the app's configuration, for every way mvcpy starts it.

``mvcpy run`` passes them to ``uvicorn.run`` and the gunicorn worker
(:mod:`mvcpy.workers`) sets them on its uvicorn config, so ``[websocket]`` means the same
under both.
"""

from __future__ import annotations

from typing import Any

from mvcpy.config import Config
from mvcpy.errors import ConfigurationError

__all__ = ["websocket_options"]


def _seconds(config: Config, key: str) -> float | None:
    value = config.get(f"websocket.{key}")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigurationError(
            f"[websocket] {key} must be a number of seconds (0 turns it off), got {value!r}"
        )
    return float(value) or None  # uvicorn turns the feature off with None


def websocket_options(config: Config) -> dict[str, Any]:
    """Return uvicorn's ``ws_ping_interval``, ``ws_ping_timeout`` and ``ws_max_size``.

    ``[websocket] ping_interval``/``ping_timeout`` of 0 turn pings off. A positive
    ``max_message_size`` becomes uvicorn's frame limit too; 0 (the app's own check off)
    leaves uvicorn's default limit in place.
    """
    options: dict[str, Any] = {
        "ws_ping_interval": _seconds(config, "ping_interval"),
        "ws_ping_timeout": _seconds(config, "ping_timeout"),
    }
    size = config.get("websocket.max_message_size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ConfigurationError(
            f"[websocket] max_message_size must be a number of bytes (0: no limit), got {size!r}"
        )
    if size:
        options["ws_max_size"] = size
    return options
