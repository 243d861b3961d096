"""What every real-time benchmark app serves: a room, a publisher and an echo.

- ``ROOM_PATH``: the connection joins the room :data:`ROOM`, then is sent :data:`READY`.
- ``PUBLISH_PATH``: each text message ``"<count> <size>"`` makes the server broadcast
  ``count`` messages (:func:`message`) to the room, one after the other, then answer
  :data:`DONE` on this connection.
- ``ECHO_PATH``: every text message is sent back as it came.
- ``READY_PATH``: an HTTP ``GET`` answered 200 once the server is up.
"""

from __future__ import annotations

__all__ = [
    "DONE",
    "ECHO_PATH",
    "PUBLISH_PATH",
    "READY",
    "READY_PATH",
    "ROOM",
    "ROOM_PATH",
    "message",
    "parse_publish",
]

ROOM = "bench"
ROOM_PATH = "/ws/room"
PUBLISH_PATH = "/ws/publish"
ECHO_PATH = "/ws/echo"
READY_PATH = "/ready"
READY = "ready"
DONE = "done"


def parse_publish(command: str) -> tuple[int, str]:
    """Read ``"<count> <size>"``; return the count and the padding every message carries."""
    count, size = command.split()
    return int(count), "x" * int(size)


def message(number: int, padding: str) -> str:
    """The ``number``-th broadcast: its number, a space and the padding."""
    return f"{number} {padding}"
