"""ASGI type aliases shared by the package, and the scope keys mvcpy adds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["REFUSED_KEY", "ASGIApp", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The scope key by which an ASGI middleware in front of the app refuses a request:
#: ``(status, reason)``. The app answers it as any other 4xx, through its filters, error
#: pages and access log, instead of the middleware answering on its own.
REFUSED_KEY = "mvcpy.refused"
