"""A database that is reachable but silent: a loopback socket that accepts connections
and never sends a byte (what a hung server or a black-holed proxy looks like)."""

from __future__ import annotations

import socket
import threading

__all__ = ["SilentServer", "free_port"]


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago (nothing listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SilentServer:
    """Accepts TCP connections on loopback and never sends a byte; ``close()`` ends it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port: int = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        """Stop listening and drop the connections it holds."""
        self.sock.close()
        for connection in self.held:
            connection.close()
