"""Where messages go: an SMTP server, the log, files, or a list in memory (tests)."""

from __future__ import annotations

import logging
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from mvcpy.mail.settings import MailSettings

__all__ = [
    "Backend",
    "ConsoleBackend",
    "FileBackend",
    "MailError",
    "MemoryBackend",
    "SentMessage",
    "SmtpBackend",
]

logger = logging.getLogger("mvcpy.mail")


class MailError(Exception):
    """A message could not be handed to the mail server (the reason is the cause)."""


class Backend(Protocol):
    """Hands a built message to its destination."""

    #: whether sending waits on the network (then ``deliver_later`` sends in the background)
    remote: bool

    async def send(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        """Send ``message`` to ``recipients``; raise :class:`MailError` when it fails."""
        ...


class SmtpBackend:
    """Send over SMTP with aiosmtplib: STARTTLS, implicit TLS or plain, with or without auth."""

    remote = True

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        """Open a connection, send, close; any SMTP or network error is a MailError.

        The connection is closed here whatever happens (a refused login included), rather
        than left to ``aiosmtplib.send``.
        """
        import aiosmtplib

        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.smtp_port(),
            username=s.username or None,
            password=s.password or None,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            timeout=s.timeout,
            validate_certs=s.validate_certs,
        )
        try:
            await client.connect()
            await client.send_message(message, recipients=list(recipients))
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"{s.host}:{s.smtp_port()}: {exc}") from exc
        finally:
            client.close()


class ConsoleBackend:
    """Write each message, headers and body, to the ``mvcpy.mail`` log (development)."""

    remote = False

    async def send(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        """Log the message as it would go over the wire."""
        logger.info(
            "mail to %s (console backend, not sent):\n%s",
            ", ".join(recipients),
            message.as_string(),
        )


class FileBackend:
    """Write each message to ``<directory>/<time>-<id>.eml``, readable by any mail client."""

    remote = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        """Write the message to a new file (a small local write: done in place)."""
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / name).write_bytes(message.as_bytes())


class SentMessage:
    """A message the memory backend kept: what a test asserts on."""

    def __init__(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        #: the MIME message as it would have been sent
        self.message = message
        #: every address it went to (to, cc and bcc)
        self.recipients = recipients

    @property
    def to(self) -> str:
        """The ``To`` header."""
        return str(self.message["To"] or "")

    @property
    def sender(self) -> str:
        """The ``From`` header."""
        return str(self.message["From"] or "")

    @property
    def subject(self) -> str:
        """The ``Subject`` header."""
        return str(self.message["Subject"] or "")

    def _part(self, kind: str) -> str | None:
        part = self.message.get_body((kind,))
        if part is None:
            return None
        content = part.get_content()
        return content if isinstance(content, str) else None

    @property
    def text(self) -> str:
        """The plain-text part (empty when there is none)."""
        return self._part("plain") or ""

    @property
    def html(self) -> str | None:
        """The HTML part, if any."""
        return self._part("html")

    @property
    def attachments(self) -> list[tuple[str, bytes, str]]:
        """``(filename, content, content type)`` of every attachment."""
        found = []
        for part in self.message.iter_attachments():
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            found.append((part.get_filename() or "", content, part.get_content_type()))
        return found

    def __repr__(self) -> str:
        return f"<SentMessage to={self.to!r} subject={self.subject!r}>"


class MemoryBackend:
    """Keep messages in ``outbox`` (a list, newest last): the backend of tests."""

    remote = False

    def __init__(self) -> None:
        self.outbox: list[SentMessage] = []

    async def send(self, message: EmailMessage, recipients: tuple[str, ...]) -> None:
        """Append the message to the outbox."""
        self.outbox.append(SentMessage(message, recipients))
