import asyncio
import dataclasses
import datetime
import decimal
import uuid
from typing import Any

import pydantic

from mvcpy import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from mvcpy.testing import TestClient


def test_response_headers_are_multi_valued() -> None:
    response = Response(b"x", headers={"X-A": "1"})
    response.add_header("x-a", "2")
    assert [v for k, v in response.raw_headers if k == b"x-a"] == [b"1", b"2"]
    response.set_header("X-A", "3")
    assert response.get_header("x-a") == "3"
    assert response.get_header("missing") is None


def test_cookie_attributes() -> None:
    response = PlainTextResponse("x")
    expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    response.set_cookie(
        "a",
        "1",
        max_age=10,
        expires=expires,
        domain="example.com",
        path="/p",
        secure=True,
        httponly=True,
        samesite="none",
    )
    response.set_cookie("b", "2", httponly=False, samesite=None)
    cookies = [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]
    a = cookies[0]
    for part in (
        "a=1",
        "Max-Age=10",
        "Domain=example.com",
        "Path=/p",
        "Secure",
        "HttpOnly",
        "SameSite=None",
        "expires=Wed, 02 Jan 2030 03:04:05 GMT",
    ):
        assert part in a
    assert "HttpOnly" not in cookies[1] and "SameSite" not in cookies[1]


def test_json_serialises_common_types() -> None:
    @dataclasses.dataclass
    class Point:
        x: int

    class Model(pydantic.BaseModel):
        name: str

    ident = uuid.UUID(int=1)
    body = JSONResponse(
        {
            "when": datetime.date(2024, 1, 2),
            "id": ident,
            "price": decimal.Decimal("1.50"),
            "point": Point(1),
            "model": Model(name="n"),
            "tags": {"a"},
        }
    ).body
    assert body == (
        b'{"when":"2024-01-02","id":"00000000-0000-0000-0000-000000000001","price":"1.50",'
        b'"point":{"x":1},"model":{"name":"n"},"tags":["a"]}'
    )


def test_redirect_quotes_location() -> None:
    response = RedirectResponse("/a b?x=1", 303)
    assert response.status == 303 and response.get_header("location") == "/a%20b?x=1"


def test_streaming_from_sync_and_async_iterators(make_app) -> None:
    def sync_chunks() -> Any:
        yield "a"
        yield b"b"

    async def async_chunks() -> Any:
        for part in ("c", "d"):
            await asyncio.sleep(0)
            yield part

    app = make_app()
    app.get("/sync", lambda ctx: StreamingResponse(sync_chunks(), media_type="text/plain"))
    app.get("/async", lambda ctx: StreamingResponse(async_chunks()))
    with TestClient(app) as client:
        response = client.get("/sync")
        assert response.text == "ab"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert client.get("/async").content == b"cd"
        assert client.head("/sync").content == b""


def test_stream_stops_when_the_client_goes_away(make_app) -> None:
    closed = asyncio.Event()
    produced: list[int] = []

    async def endless() -> Any:
        try:
            i = 0
            while True:
                produced.append(i)
                i += 1
                yield b"x"
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    app = make_app()
    app.get("/stream", lambda ctx: StreamingResponse(endless()))
    app.start()

    async def run() -> None:
        disconnect = asyncio.Event()

        async def receive() -> Any:
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.body" and len(produced) > 5:
                disconnect.set()

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/stream",
            "raw_path": b"/stream",
            "query_string": b"",
            "headers": [],
            "scheme": "http",
        }
        await asyncio.wait_for(app(scope, receive, send), timeout=5)

    asyncio.run(run())
    assert closed.is_set()
    assert len(produced) < 1000


def test_response_object_can_be_sent_twice(make_app) -> None:
    shared = PlainTextResponse("same")
    app = make_app()
    app.get("/", lambda ctx: shared)
    with TestClient(app) as client:
        first = client.get("/")
        second = client.get("/")
    assert first.headers["content-length"] == second.headers["content-length"] == "4"
    assert second.headers.get_list("content-length") == ["4"]


def test_stdlib_json_fallback_matches_orjson() -> None:
    from mvcpy.http import _json

    value = {"when": datetime.datetime(2024, 1, 2, 3, 4, 5), "n": [1, 2.5, None], "s": "é"}
    assert _json._stdlib_dumps(value) == _json.dumps(value)
