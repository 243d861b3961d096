"""The mail component: ``[mail]`` and the ``mail`` service (a :class:`Mailer`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from mvcpy.components import CheckResult, ServiceComponent, Setup
from mvcpy.mail.settings import MailSettings

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.mail.backends import Backend
    from mvcpy.mail.mailer import Mailer

__all__ = ["MailComponent"]

#: seconds a stopping server waits for mail still being sent in the background
DRAIN_SECONDS = 10.0


class MailComponent(ServiceComponent):
    """Publish the app's :class:`~mvcpy.mail.Mailer`, built from ``[mail]`` on first use."""

    name = "mail"
    service = "mail"
    sections = {"mail": MailSettings}

    def __init__(self) -> None:
        super().__init__()
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, setup: Setup) -> None:
        """Publish the mailer and its ``mvcpy check`` check."""
        super().install(setup)
        setup.check(_check_backend)

    def build(self, setup: Setup) -> Mailer:
        """Build the mailer and its backend from ``[mail]``."""
        from mvcpy.mail.mailer import Mailer

        settings = setup.settings(MailSettings)
        mailer = Mailer(settings, _backend(settings, setup), lambda: setup.get_service("templates"))
        if self._loop is not None:  # built in a worker thread after the server started
            mailer.attach(self._loop)
        return mailer

    async def startup(self) -> None:
        """Send background mail on the server's loop."""
        self._loop = asyncio.get_running_loop()
        mailer = self.built()
        if mailer is not None:
            mailer.attach(self._loop)

    async def shutdown(self) -> None:
        """Give mail still being sent a few seconds to leave."""
        mailer = self.built()
        if mailer is not None:
            await mailer.drain(DRAIN_SECONDS)


def _backend(settings: MailSettings, setup: Setup) -> Backend:
    from mvcpy.mail import backends

    if settings.backend == "smtp":
        return backends.SmtpBackend(settings)
    if settings.backend == "file":
        return backends.FileBackend(setup.root_path / settings.file_path)
    if settings.backend == "memory":
        return backends.MemoryBackend()
    return backends.ConsoleBackend()


def _check_backend(app: Application) -> CheckResult:
    settings = app.config.section_of(MailSettings)
    if app.env != "prod":
        return CheckResult("mail", True, f"{settings.backend} backend")
    if settings.backend in ("memory", "console"):
        return CheckResult(
            "mail",
            False,
            f"the {settings.backend} backend sends no mail in production: "
            'set backend = "smtp" and host in [prod.mail]',
        )
    if settings.default_from == MailSettings().default_from:
        return CheckResult(
            "mail",
            True,
            "mail goes out from webmaster@localhost: set default_from in [prod.mail]",
            warning=True,
        )
    where = f"{settings.host}:{settings.smtp_port()}" if settings.backend == "smtp" else "files"
    return CheckResult("mail", True, f"{settings.backend} backend ({where})")
