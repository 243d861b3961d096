"""SQLAlchemy event listeners installed once a process, however many apps ask.

Several features watch every engine or session of the process (the query inspector, the
job queue's commit hooks, tracing, the pool metrics); each asks here under its own key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["listen_once"]

_installed: set[str] = set()
_lock = threading.Lock()


def listen_once(key: str, target: Any, handlers: Mapping[str, Callable[..., Any]]) -> None:
    """Listen to ``target``'s events with ``handlers`` (``{event name: function}``) the
    first time ``key`` asks; later calls do nothing."""
    if key in _installed:
        return
    with _lock:
        if key in _installed:
            return
        from sqlalchemy import event

        for name, handler in handlers.items():
            event.listen(target, name, handler)
        _installed.add(key)
