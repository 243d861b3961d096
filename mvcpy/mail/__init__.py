"""Mail: messages from Jinja templates, sent over SMTP, to the log, to files or to memory.

``app.services["mail"]`` is the :class:`Mailer`; ``[mail]`` configures it (docs/mail.md).
"""

from mvcpy.mail.backends import MailError, SentMessage
from mvcpy.mail.mailer import Mailer
from mvcpy.mail.message import Attachment, Message, MessageError
from mvcpy.mail.settings import MailSettings

__all__ = [
    "Attachment",
    "MailError",
    "MailSettings",
    "Mailer",
    "Message",
    "MessageError",
    "SentMessage",
]
