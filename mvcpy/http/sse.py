"""Server-sent events: ``text/event-stream`` from a sync or async source, with keep-alives."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from mvcpy.http import _json
from mvcpy.http.response import StreamingResponse

__all__ = ["EventSourceResponse", "ServerSentEvent", "encode_event"]

_DONE = object()


class ServerSentEvent:
    """One event: ``data`` plus the optional ``event`` name, ``id`` and ``retry`` (ms)."""

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: Any = None,
        event: str | None = None,
        id: str | int | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def encode(self) -> bytes:
        """Return the event in the wire format."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _lines(self.comment))
        if self.event is not None:
            lines.append(f"event: {_single_line(self.event)}")
        if self.id is not None:
            lines.append(f"id: {_single_line(str(self.id))}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        if self.data is not None:
            data = self.data
            if not isinstance(data, str):
                data = _json.dumps(data).decode()
            lines.extend(f"data: {line}" for line in _lines(data))
        return ("\n".join(lines) + "\n\n").encode()


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _single_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def encode_event(item: Any) -> bytes:
    """Encode what a source yields: an event, a dict of its fields, a string or JSON data."""
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, dict) and item.keys() <= {"data", "event", "id", "retry", "comment"}:
        return ServerSentEvent(**item).encode()
    return ServerSentEvent(item).encode()


Source = Iterable[Any] | AsyncIterable[Any] | Callable[..., Any]


class EventSourceResponse(StreamingResponse):
    """Stream server-sent events from ``source``; ``: ping`` comments every ``ping`` seconds.

    ``source`` is a sync or async iterable, or a callable that receives the client's
    ``Last-Event-ID`` (``None`` on the first connection) and returns one. It is closed
    when the client goes away.
    """

    __slots__ = ("last_event_id", "ping", "source")

    def __init__(
        self,
        source: Source,
        ping: float | None = 15.0,
        last_event_id: str | None = None,
        status: int = 200,
    ) -> None:
        self.source = source
        self.ping = ping
        self.last_event_id = last_event_id
        super().__init__(
            self._events(),
            status,
            {
                "cache-control": "no-cache",
                "x-accel-buffering": "no",
                "content-type": "text/event-stream; charset=utf-8",
            },
        )

    def _open(self) -> Any:
        source = self.source
        if callable(source) and not isinstance(source, Iterable | AsyncIterable):
            if inspect.signature(source).parameters:
                return source(self.last_event_id)
            return source()
        return source

    async def _events(self) -> AsyncIterator[bytes]:
        source = self._open()
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
        pump = asyncio.ensure_future(_pump(source, queue))
        getter: asyncio.Future[Any] | None = None
        try:
            while True:
                if getter is None:
                    getter = asyncio.ensure_future(queue.get())
                # NOTE: asyncio.wait, not wait_for: on 3.11 wait_for can swallow the
                # cancellation that a client's disconnect sends, and stream forever.
                done, _ = await asyncio.wait((getter,), timeout=self.ping)
                if not done:
                    yield b": ping\n\n"
                    continue
                item = getter.result()
                getter = None
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield encode_event(item)
        finally:
            if getter is not None:
                getter.cancel()
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            await _close(source)


async def _pump(source: Any, queue: asyncio.Queue[Any]) -> None:
    try:
        if isinstance(source, AsyncIterable):
            async for item in source:
                await queue.put(item)
        else:
            iterator: Iterator[Any] = iter(source)
            loop = asyncio.get_running_loop()
            while True:
                step = loop.run_in_executor(None, next, iterator, _DONE)
                try:
                    item = await asyncio.shield(step)
                except asyncio.CancelledError:
                    # The generator is running on a worker thread and cannot be closed
                    # yet: close it as soon as its current step returns.
                    step.add_done_callback(lambda _: _close_sync(iterator))
                    raise
                if item is _DONE:
                    break
                await queue.put(item)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        await queue.put(exc)
        return
    await queue.put(_DONE)


async def _close(source: Any) -> None:
    aclose = getattr(source, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(RuntimeError):  # still running in the cancelled pump
            await aclose()
        return
    _close_sync(source)


def _close_sync(source: Any) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        with contextlib.suppress(ValueError):  # running on a worker thread: closed later
            close()
