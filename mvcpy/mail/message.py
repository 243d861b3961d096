"""One mail message: recipients, subject, text and HTML parts, attachments."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path

__all__ = ["Attachment", "Message", "MessageError"]


class MessageError(ValueError):
    """A message that cannot be sent as it is: no recipient, a header with a line break..."""


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message."""

    filename: str
    content: bytes
    #: ``None``: guessed from the file name (``application/octet-stream`` when unknown)
    content_type: str | None = None

    @classmethod
    def from_path(cls, path: str | Path, content_type: str | None = None) -> Attachment:
        """Read ``path`` into an attachment named after the file."""
        file = Path(path)
        return cls(file.name, file.read_bytes(), content_type)

    def mime_type(self) -> tuple[str, str]:
        """Return the (maintype, subtype) pair of the attachment."""
        kind = self.content_type or mimetypes.guess_type(self.filename)[0]
        kind = kind or "application/octet-stream"
        main, _, sub = kind.partition("/")
        return main, sub or "octet-stream"


def _addresses(value: str | Sequence[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if "\r" in item or "\n" in item:
            raise MessageError(f"a line break in the address {item!r}")
    return tuple(item.strip() for item in items if item.strip())


@dataclass
class Message:
    """A mail message; ``build()`` turns it into an :class:`email.message.EmailMessage`.

    ``text`` is the plain part; ``html`` (optional) the alternative HTML part.
    """

    to: str | Sequence[str]
    subject: str
    text: str = ""
    html: str | None = None
    from_: str = ""
    cc: str | Sequence[str] = ()
    bcc: str | Sequence[str] = ()
    reply_to: str | Sequence[str] = ()
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)

    def attach(self, filename: str, content: bytes, content_type: str | None = None) -> None:
        """Attach ``content`` as a file named ``filename``."""
        self.attachments.append(Attachment(filename, content, content_type))

    def recipients(self) -> tuple[str, ...]:
        """Every address the message goes to: to, cc and bcc (bare addresses)."""
        listed = _addresses(self.to) + _addresses(self.cc) + _addresses(self.bcc)
        return tuple(address for _, address in getaddresses(listed) if address)

    def build(self, default_from: str) -> EmailMessage:
        """Return the message as MIME, checked: a recipient, a sender, no header injection."""
        if not self.recipients():
            raise MessageError("the message has no recipient")
        sender = self.from_ or default_from
        if not sender:
            raise MessageError("the message has no sender: set [mail] default_from")
        for name, value in (("Subject", self.subject), *self.headers.items()):
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise MessageError(f"a line break in the {name} header")
        message = EmailMessage()
        message["Subject"] = self.subject
        message["From"] = _addresses(sender)[0]
        message["To"] = ", ".join(_addresses(self.to))
        if self.cc:
            message["Cc"] = ", ".join(_addresses(self.cc))
        if self.reply_to:
            message["Reply-To"] = ", ".join(_addresses(self.reply_to))
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = _domain(sender)
        message["Message-ID"] = make_msgid(domain=domain) if domain else make_msgid()
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text or "")
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        for attachment in self.attachments:
            main, sub = attachment.mime_type()
            message.add_attachment(
                attachment.content, maintype=main, subtype=sub, filename=attachment.filename
            )
        return message


def _domain(sender: str) -> str:
    address = getaddresses([sender])[0][1]
    try:
        return Address(addr_spec=address).domain
    except (ValueError, IndexError):
        return ""
