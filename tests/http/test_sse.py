"""Server-sent events: fields, keep-alives, Last-Event-ID, closing the source on disconnect."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from mvcpy import Controller
from mvcpy.http.sse import EventSourceResponse, ServerSentEvent, encode_event
from mvcpy.testing import TestClient


def test_encoding() -> None:
    event = ServerSentEvent({"a": 1}, event="tick", id=7, retry=3000)
    assert event.encode() == b'event: tick\nid: 7\nretry: 3000\ndata: {"a":1}\n\n'
    assert encode_event("two\nlines") == b"data: two\ndata: lines\n\n"
    assert encode_event({"data": "x", "id": "1"}) == b"id: 1\ndata: x\n\n"
    assert encode_event({"other": 1}) == b'data: {"other":1}\n\n'
    assert ServerSentEvent(event="a\nb", comment="hi").encode() == b": hi\nevent: a b\n\n"


def test_event_stream_from_controllers(make_app: Any) -> None:
    class Feed(Controller):
        def sync(self) -> Any:
            def numbers() -> Iterator[Any]:
                yield ServerSentEvent("one", id=1)
                yield {"data": {"n": 2}, "event": "json", "id": 2}

            return self.event_stream(numbers())

        async def resume(self) -> Any:
            async def after(last_id: str | None) -> AsyncIterator[Any]:
                start = int(last_id or 0)
                for n in range(start + 1, start + 3):
                    yield ServerSentEvent(n, id=n)

            return self.event_stream(after)

        async def slow(self) -> Any:
            async def late() -> AsyncIterator[Any]:
                await asyncio.sleep(0.25)
                yield "done"

            return self.event_stream(late(), ping=0.05)

    app = make_app()
    app.router("/sync", Feed, "get:sync")
    app.router("/resume", Feed, "get:resume")
    app.router("/slow", Feed, "get:slow")
    with TestClient(app) as client:
        response = client.get("/sync")
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.text == 'id: 1\ndata: one\n\nevent: json\nid: 2\ndata: {"n":2}\n\n'
        assert client.get("/resume").text == "id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n"
        resumed = client.get("/resume", headers={"Last-Event-ID": "5"})
        assert resumed.text == "id: 6\ndata: 6\n\nid: 7\ndata: 7\n\n"
        slow = client.get("/slow").text
        assert slow.startswith(": ping\n\n")
        assert slow.endswith("data: done\n\n")


def _run_until_disconnect(response: EventSourceResponse, events: int) -> list[bytes]:
    """Serve ``response`` to a client that leaves after ``events`` chunks."""
    received: list[bytes] = []

    async def main() -> None:
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message.get("body"):
                received.append(message["body"])
                if len(received) >= events:
                    gone.set()

        scope = {"type": "http", "method": "GET", "headers": []}
        await asyncio.wait_for(response({**scope}, receive, send), 5)

    asyncio.run(main())
    return received


def test_async_source_is_closed_when_the_client_goes_away() -> None:
    state = {"closed": False, "sent": 0}

    async def endless() -> AsyncIterator[Any]:
        try:
            while True:
                state["sent"] += 1
                yield state["sent"]
                await asyncio.sleep(0.01)
        finally:
            state["closed"] = True

    received = _run_until_disconnect(EventSourceResponse(endless()), 3)
    assert received[:3] == [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]
    assert state["closed"] is True


def test_sync_source_is_closed_when_the_client_goes_away() -> None:
    closed = threading.Event()

    def endless() -> Iterator[Any]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    received = _run_until_disconnect(EventSourceResponse(endless()), 2)
    assert received[0] == b"data: 1\n\n"
    assert closed.wait(5)
