"""The settings of mail: ``[mail]``."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import NonNegativeInt, PositiveFloat

from mvcpy.config.section import SECRET, Section

__all__ = ["MailSettings"]


class MailSettings(Section):
    """``[mail]``: how messages leave the process (docs/mail.md).

    Development prints messages (``console``), tests keep them in memory (the ``outbox``
    fixture), production sends them over SMTP.
    """

    env_defaults: ClassVar = {"test": {"backend": "memory"}, "prod": {"backend": "smtp"}}

    #: smtp | console (printed to the log) | file (one .eml per message) | memory (tests)
    backend: Literal["smtp", "console", "file", "memory"] = "console"
    #: the sender when a message names none, e.g. ``"Blog <noreply@example.com>"``
    default_from: str = "webmaster@localhost"
    #: the SMTP server
    host: str = "localhost"
    #: 0: the usual port for ``security`` (465 for tls, 587 for starttls, 25 for none)
    port: NonNegativeInt = 0
    #: starttls (upgrade a plain connection) | tls (implicit TLS) | none (loopback only)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: Annotated[str, SECRET] = ""
    #: seconds to connect and for each SMTP command
    timeout: PositiveFloat = 10.0
    #: check the server's TLS certificate (turn off only for a test server)
    validate_certs: bool = True
    #: the directory of the ``file`` backend (relative to the project)
    file_path: str = "instance/mail"
    #: attempts after the first when sending fails (``deliver_later``)
    retries: NonNegativeInt = 3
    #: seconds before the first retry; each later one waits twice as long
    retry_delay: PositiveFloat = 2.0

    def smtp_port(self) -> int:
        """The port to connect to: ``port``, or the usual one for ``security``."""
        if self.port:
            return self.port
        return {"tls": 465, "starttls": 587, "none": 25}[self.security]
