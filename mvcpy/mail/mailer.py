"""The mailer: messages from templates, sent now or in the background with retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from mvcpy.mail.backends import Backend, MailError
from mvcpy.mail.message import Attachment, Message
from mvcpy.mail.settings import MailSettings

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.views.engine import Templates

__all__ = ["Mailer"]

logger = logging.getLogger("mvcpy.mail")


class Mailer:
    """Build messages from templates and send them (``app.services["mail"]``).

    ``send`` waits for the server; ``deliver_later`` returns at once and sends in the
    background, retrying with backoff (``[mail] retries``, ``retry_delay``) and logging
    each failure with its recipients. Backends that do not touch the network (memory,
    console, file) deliver at once, so tests see the message as soon as the request ends.
    """

    def __init__(
        self,
        settings: MailSettings,
        backend: Backend,
        templates: Callable[[], Templates],
    ) -> None:
        self.settings = settings
        self.backend = backend
        self._templates = templates
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[asyncio.Future[Any]] = set()

    # -- building ---------------------------------------------------------------------
    def message(
        self,
        template: str,
        *,
        to: str | Sequence[str],
        subject: str,
        ctx: Context | None = None,
        attachments: Sequence[Attachment] = (),
        **data: Any,
    ) -> Message:
        """Render ``<template>.txt`` and ``<template>.html`` (either may be missing, not
        both) with ``data`` into a message.

        With ``ctx``, templates get the request's helpers and ``url_for(...,
        _external=True)`` uses the request's host; without, ``server_name``.
        """
        templates = self._templates()
        parts: dict[str, str] = {}
        for kind in ("txt", "html"):
            name = f"{template}.{kind}"
            if templates.exists(name):
                parts[kind] = templates.render(name, dict(data, subject=subject), ctx)
        if not parts:
            raise LookupError(f"no mail template {template}.txt or {template}.html")
        return Message(
            to=to,
            subject=subject,
            text=parts.get("txt", ""),
            html=parts.get("html"),
            attachments=list(attachments),
        )

    # -- sending ----------------------------------------------------------------------
    async def send(self, message: Message) -> None:
        """Send ``message`` now; raise :class:`MailError` when the server refuses it."""
        built = message.build(self.settings.default_from)
        await self.backend.send(built, message.recipients())

    def send_sync(self, message: Message) -> None:
        """Send ``message`` now from blocking code (a sync action, a script)."""
        self._run_blocking(self.send(message))

    def deliver_later(self, message: Message) -> None:
        """Check ``message`` now (a bad address fails here), send it in the background.

        Failures are retried ``[mail] retries`` times, waiting ``retry_delay`` seconds and
        twice as long each time; each failure is logged with the recipients.
        """
        message.build(self.settings.default_from)  # refuse a broken message in the request
        if not self.backend.remote:
            self._run_here(self._send_with_retries(message))
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            self._run_blocking(self._send_with_retries(message))
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._spawn(message)
        else:
            loop.call_soon_threadsafe(self._spawn, message)

    async def _send_with_retries(self, message: Message) -> bool:
        attempts = self.settings.retries + 1
        delay = self.settings.retry_delay
        recipients = ", ".join(message.recipients())
        for attempt in range(1, attempts + 1):
            try:
                await self.send(message)
                return True
            except MailError as exc:
                if attempt == attempts:
                    logger.error(
                        "mail to %s (%r) not sent after %d attempt(s): %s",
                        recipients, message.subject, attempts, exc,
                    )  # fmt: skip
                    return False
                logger.warning(
                    "mail to %s (%r) failed (attempt %d of %d, next in %.3gs): %s",
                    recipients, message.subject, attempt, attempts, delay, exc,
                )  # fmt: skip
                await asyncio.sleep(delay)
                delay *= 2
        return False

    def _spawn(self, message: Message) -> None:
        task = asyncio.ensure_future(self._send_with_retries(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @staticmethod
    def _run_here(coro: Coroutine[Any, Any, Any]) -> None:
        """Run a send to a local backend (memory, console, file), from any thread.

        Those never suspend, so one step finishes them: no event loop is needed.
        """
        try:
            coro.send(None)
        except StopIteration:
            return
        coro.close()
        raise RuntimeError("a local mail backend suspended; use await mailer.send()")

    def _run_blocking(self, coro: Coroutine[Any, Any, Any]) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            coro.close()
            raise RuntimeError("send_sync() blocks: in async code, await mailer.send()")
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(coro, loop).result()
        else:
            asyncio.run(coro)

    # -- lifecycle --------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send background mail on ``loop`` (the server's, from startup)."""
        self._loop = loop

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for background sends; return how many were left."""
        pending = [task for task in self._pending if not task.done()]
        if not pending:
            return 0
        _, left = await asyncio.wait(pending, timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            logger.error("%d mail message(s) still unsent at shutdown were dropped", len(left))
        return len(left)

    @property
    def pending(self) -> int:
        """How many messages are being sent in the background."""
        return sum(1 for task in self._pending if not task.done())
