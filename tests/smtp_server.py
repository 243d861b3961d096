"""A real SMTP server on loopback for the tests (aiosmtpd): plain, STARTTLS or TLS, with AUTH.

It keeps every message it accepts; ``wait_for(n)`` waits until ``n`` have arrived.
"""

from __future__ import annotations

import email
import email.policy
import gc
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.silent_server import free_port

__all__ = ["Received", "SmtpServer", "self_signed_context", "smtp_server"]


class Received:
    """One message the server accepted: envelope and parsed message."""

    def __init__(self, sender: str, recipients: list[str], data: bytes) -> None:
        self.sender = sender
        self.recipients = recipients
        self.message: EmailMessage = email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[assignment]

    def part(self, kind: str) -> str:
        """The ``text/<kind>`` part's content, or empty."""
        body = self.message.get_body((kind,))
        return str(body.get_content()) if body is not None else ""  # type: ignore[attr-defined]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        gate = self.server.gate
        if gate is not None:
            while not gate.is_set():  # hold the reply until the test opens the gate
                time.sleep(0.01)
        if self.server.refuse:
            return "451 try again later"
        with self.server.lock:
            self.server.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return "250 OK"


class SmtpServer:
    """The running server's address and what it received."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.host = "127.0.0.1"
        self.port = 0
        #: when set, DATA waits for it (a slow server)
        self.gate: threading.Event | None = None
        #: answer every DATA with 451 (a server that refuses)
        self.refuse = False

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until ``count`` messages have arrived; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.messages)} message(s) arrived, {count} expected")


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def smtp_server(
    *,
    tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
    login: tuple[str, str] | None = None,
    port: int | None = None,
) -> Iterator[SmtpServer]:
    """Run an SMTP server on loopback until the block ends.

    ``tls``: implicit TLS; ``starttls``: plain, upgraded by STARTTLS (required);
    ``login``: the one accepted (user, password), AUTH required.
    """
    server = SmtpServer()
    server.port = port or free_port()

    def authenticate(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and login is not None
            and (data.login.decode(), data.password.decode()) == login
        )
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if login is not None:
        # aiosmtpd counts only STARTTLS as TLS for AUTH (and warns otherwise): over implicit
        # TLS, AUTH is checked when the client offers it rather than required.
        options.update(authenticator=authenticate, auth_require_tls=starttls is not None)
        options["auth_required"] = starttls is not None
    controller = _controller(server, tls, options)
    controller.start()
    try:
        yield server
    finally:
        if server.gate is not None:
            server.gate.set()
        controller.stop()
        # aiosmtpd's stop leaves the sockets of connections still open (and, over TLS, some
        # a client closed) to the garbage collector; collected later they would warn in
        # whichever test runs then. Collect them here, where they belong.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def _controller(server: SmtpServer, tls: ssl.SSLContext | None, options: dict[str, Any]) -> Any:
    return Controller(
        _Handler(server),
        hostname=server.host,
        port=server.port,
        ssl_context=tls,
        server_hostname="127.0.0.1",
        **options,
    )
