"""The uvicorn options that come from the app's configuration, for every way mvcpy starts it.

``mvcpy run`` passes them to ``uvicorn.run`` and the gunicorn worker
(:mod:`mvcpy.workers`) sets them on its uvicorn config, so ``[websocket]`` means the same
under both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mvcpy.websocket import WebSocketSettings

__all__ = ["http_protocol", "websocket_options"]


def http_protocol() -> Any:
    """uvicorn's ``http`` option: mvcpy's protocol with header and body timeouts
    (:mod:`mvcpy.server_protocol`), or uvicorn's default without httptools."""
    try:
        from mvcpy.server_protocol import GuardedHttpToolsProtocol
    except ImportError:  # no httptools: uvicorn's h11 protocol, without the timeouts
        return "auto"
    return GuardedHttpToolsProtocol


def websocket_options(settings: WebSocketSettings) -> dict[str, Any]:
    """Return uvicorn's ``ws_ping_interval``, ``ws_ping_timeout`` and ``ws_max_size``.

    ``[websocket] ping_interval``/``ping_timeout`` of 0 turn pings off (uvicorn's ``None``).
    A positive ``max_message_size`` becomes uvicorn's frame limit too; 0 (the app's own
    check off) leaves uvicorn's default limit in place.
    """
    options: dict[str, Any] = {
        "ws_ping_interval": settings.ping_interval or None,
        "ws_ping_timeout": settings.ping_timeout or None,
    }
    if settings.max_message_size:
        options["ws_max_size"] = settings.max_message_size
    return options
