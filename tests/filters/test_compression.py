import asyncio
import gzip
import zlib
from typing import Any

import brotli
import httpx
import pytest

from mvcpy import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from mvcpy.filters.compression import Compression
from mvcpy.testing import TestClient

TEXT = "hello compressible world " * 100


def build(make_app: Any, compression: Compression) -> Any:
    app = make_app()
    app.use(compression)
    app.get("/text", lambda ctx: PlainTextResponse(TEXT))
    app.get("/small", lambda ctx: JSONResponse({"a": 1}))
    app.get("/png", lambda ctx: Response(b"\x89PNG" * 500, media_type="image/png"))
    app.get(
        "/encoded",
        lambda ctx: Response(
            gzip.compress(TEXT.encode()),
            headers={"content-encoding": "gzip"},
            media_type="text/plain",
        ),
    )
    app.get(
        "/no-transform",
        lambda ctx: HTMLResponse(TEXT, headers={"cache-control": "no-transform"}),
    )

    async def stream(ctx: Any) -> Any:
        async def chunks() -> Any:
            for i in range(5):
                yield f"chunk {i} " * 50

        return StreamingResponse(chunks(), media_type="text/plain")

    def sync_stream(ctx: Any) -> Any:
        return StreamingResponse((f"line {i}\n" for i in range(100)), media_type="text/csv")

    app.get("/stream", stream)
    app.get("/sync-stream", sync_stream)
    return app


def raw_get(app: Any, path: str, encoding: str) -> tuple[httpx.Headers, bytes]:
    """GET over httpx's ASGI transport and return the bytes as sent, not decoded."""

    async def go() -> tuple[httpx.Headers, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"accept-encoding": encoding}
            async with client.stream("GET", path, headers=headers) as response:
                return response.headers, b"".join([c async for c in response.aiter_raw()])

    return asyncio.run(go())


def test_gzip_for_big_compressible_bodies(make_app: Any) -> None:
    with TestClient(build(make_app, Compression(brotli=False))) as client:
        response = client.get("/text", headers={"accept-encoding": "gzip"})
        identity = client.get("/text", headers={"accept-encoding": "identity"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.text == TEXT  # httpx decoded it
    assert int(response.headers["content-length"]) < len(TEXT) // 5
    assert "content-encoding" not in identity.headers and identity.text == TEXT
    assert identity.headers["vary"] == "Accept-Encoding"


def test_brotli_is_preferred_when_installed_and_accepted(make_app: Any) -> None:
    app = build(make_app, Compression(brotli=True))
    headers, raw = raw_get(app, "/text", "gzip, br")
    assert headers["content-encoding"] == "br"
    other, raw_gzip = raw_get(app, "/text", "gzip, br;q=0")
    assert other["content-encoding"] == "gzip"
    assert brotli.decompress(raw).decode() == TEXT
    assert gzip.decompress(raw_gzip).decode() == TEXT


@pytest.mark.parametrize("path", ["/small", "/png", "/encoded", "/no-transform"])
def test_left_alone(make_app: Any, path: str) -> None:
    headers, raw = raw_get(build(make_app, Compression()), path, "gzip, br")
    if path == "/encoded":  # never compressed twice
        assert headers.get_list("content-encoding") == ["gzip"]
        assert gzip.decompress(raw).decode() == TEXT
    else:
        assert "content-encoding" not in headers


@pytest.mark.parametrize("path", ["/stream", "/sync-stream"])
def test_streaming_responses_are_compressed_chunk_by_chunk(make_app: Any, path: str) -> None:
    expected = (
        "".join(f"chunk {i} " * 50 for i in range(5))
        if path == "/stream"
        else "".join(f"line {i}\n" for i in range(100))
    )
    headers, raw = raw_get(build(make_app, Compression(brotli=False)), path, "gzip")
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    assert zlib.decompress(raw, 31).decode() == expected


def test_brotli_requested_but_missing_is_a_clear_error(monkeypatch: Any) -> None:
    from mvcpy import ConfigurationError
    from mvcpy.filters import compression

    monkeypatch.setattr(compression, "brotli_available", lambda: False)
    with pytest.raises(ConfigurationError, match=r"mvcpy-web\[brotli\]"):
        Compression(brotli=True)
    assert Compression().brotli is False


def test_files_are_left_to_their_precompressed_siblings(make_app: Any, tmp_path: Any) -> None:
    from mvcpy.filters.static import Static

    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "big.css").write_text(TEXT)
    app = make_app()
    app.use(Compression(minimum_size=0), Static())
    headers, raw = raw_get(app, "/static/big.css", "gzip")
    assert "content-encoding" not in headers and raw.decode() == TEXT
