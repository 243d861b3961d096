"""send_file: validators, 304, single ranges, 416, Content-Disposition, chunked reads."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from mvcpy import Controller
from mvcpy.errors import HTTPError
from mvcpy.http.files import FileResponse, content_disposition, parse_range
from mvcpy.testing import TestClient

DATA = bytes(range(256)) * 400  # 102,400 bytes: more than one chunk


@pytest.fixture
def client(make_app: Any, tmp_path: Path) -> Any:
    (tmp_path / "report.csv").write_bytes(DATA)
    (tmp_path / "sub").mkdir()

    class Files(Controller):
        def plain(self) -> Any:
            return self.send_file(tmp_path / "report.csv")

        def named(self) -> Any:
            return self.send_file(
                tmp_path / "report.csv", filename="Übersicht 2024.csv", attachment=True
            )

        def missing(self) -> Any:
            return self.send_file(tmp_path / "nope.txt")

        def directory(self) -> Any:
            return self.send_file(tmp_path / "sub")

    app = make_app()
    app.router("/f", Files, "get:plain")
    app.router("/named", Files, "get:named")
    app.router("/missing", Files, "get:missing")
    app.router("/dir", Files, "get:directory")
    with TestClient(app) as test_client:
        yield test_client


def test_full_download_with_validators(client: Any) -> None:
    response = client.get("/f")
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert "GMT" in response.headers["last-modified"]
    assert "content-disposition" not in response.headers
    head = client.head("/f")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(DATA))


def test_conditional_requests_get_304(client: Any) -> None:
    first = client.get("/f")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/f", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-length" not in again.headers
    assert client.get("/f", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get("/f", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/f", headers={"If-Modified-Since": modified}).status_code == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/f", headers={"If-Modified-Since": old}).status_code == 200
    assert client.get("/f", headers={"If-Modified-Since": "garbage"}).status_code == 200


def test_single_ranges_and_bad_ranges(client: Any) -> None:
    part = client.get("/f", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == DATA[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    assert part.headers["content-length"] == "10"
    assert client.get("/f", headers={"Range": "bytes=-5"}).content == DATA[-5:]
    assert client.get("/f", headers={"Range": "bytes=102000-"}).content == DATA[102000:]
    clipped = client.get("/f", headers={"Range": "bytes=102390-999999"})
    assert clipped.content == DATA[102390:]
    outside = client.get("/f", headers={"Range": "bytes=999999-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{len(DATA)}"
    backwards = client.get("/f", headers={"Range": "bytes=9-3"})
    assert backwards.status_code == 416
    many = ",".join(f"{i}-{i}" for i in range(1000))
    assert client.get("/f", headers={"Range": f"bytes={many}"}).status_code == 416
    assert client.get("/f", headers={"Range": "bytes=a-b"}).status_code == 416
    # Not a byte range: the header is ignored and the whole file is sent.
    assert client.get("/f", headers={"Range": "items=1-2"}).status_code == 200
    etag = client.get("/f").headers["etag"]
    fresh = client.get("/f", headers={"Range": "bytes=0-0", "If-Range": etag})
    assert fresh.status_code == 206
    stale = client.get("/f", headers={"Range": "bytes=0-0", "If-Range": '"old"'})
    assert stale.status_code == 200
    assert stale.content == DATA


def test_disposition_and_missing_files(client: Any) -> None:
    named = client.get("/named")
    disposition = named.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="_bersicht 2024.csv"')
    assert "filename*=UTF-8''%C3%9Cbersicht%202024.csv" in disposition
    assert client.get("/missing").status_code == 404
    assert client.get("/dir").status_code == 404
    assert content_disposition("a.txt", False) == 'inline; filename="a.txt"'
    assert '\\"' not in content_disposition('a"b\r\n.txt', True)


def test_parse_range_unit() -> None:
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=-100", 10) == (0, 9)
    assert parse_range("lines=1-2", 10) is None
    for bad in ("bytes=-0", "bytes=10-", "bytes=1-2,3-4", "bytes=-", "bytes=x-1"):
        with pytest.raises(HTTPError) as caught:
            parse_range(bad, 10)
        assert caught.value.status == 416


def test_large_file_is_read_in_chunks(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        out.truncate(8 * 1024 * 1024)  # sparse: 8 MB without writing them
    response = FileResponse(big, chunk_size=64 * 1024)
    sizes: list[int] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            sizes.append(len(message["body"]))

    scope = {"type": "http", "method": "GET", "headers": []}
    asyncio.run(response(scope, receive, send))
    assert sum(sizes) == os.path.getsize(big)
    assert max(sizes) == 64 * 1024
    assert len(sizes) == 128
