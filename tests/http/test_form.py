"""Hostile forms: endless parts, 10,000 fields, bad UTF-8; uploads spooled and saved safely."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mvcpy import Controller
from mvcpy.http.uploads import UploadedFile
from mvcpy.testing import TestClient


class Echo(Controller):
    async def form(self) -> Any:
        data = await self.request.form()
        return {"fields": len(list(data.multi_items()))}


@pytest.fixture
def client(make_app: Any) -> Any:
    app = make_app(max_body_size=4 * 1024 * 1024, form={"max_field_size": 64 * 1024})
    app.router("/form", Echo, "post:form")
    with TestClient(app) as test_client:
        yield test_client


def _endless_part(boundary: bytes, file: bool) -> Iterator[bytes]:
    disposition = b'name="f"; filename="a.bin"' if file else b'name="f"'
    yield b"--" + boundary + b"\r\nContent-Disposition: form-data; " + disposition + b"\r\n\r\n"
    for _ in range(10_000):  # 640 MB if nothing stopped it
        yield b"x" * 65536


@pytest.mark.parametrize("file", [False, True])
def test_a_part_that_never_ends_is_cut_off(client: Any, file: bool) -> None:
    response = client.post(
        "/form",
        content=_endless_part(b"B0UND", file),
        headers={"content-type": "multipart/form-data; boundary=B0UND"},
    )
    assert response.status_code == 413
    # The worker carries on.
    assert client.post("/form", data={"a": "1"}).json() == {"fields": 1}


def test_ten_thousand_fields_are_refused(client: Any) -> None:
    urlencoded = "&".join(f"f{i}=1" for i in range(10_000))
    answer = client.post(
        "/form",
        content=urlencoded,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    parts = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % i for i in range(10_000)
    )
    multipart = client.post(
        "/form",
        content=parts + b"--B--\r\n",
        headers={"content-type": "multipart/form-data; boundary=B"},
    )
    assert multipart.status_code == 400
    assert "parts" in multipart.json()["error"]["message"]


def test_invalid_utf8_in_forms_is_400(client: Any) -> None:
    escaped = client.post(
        "/form", content=b"a=%ff%fe", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert escaped.status_code == 400
    raw = client.post(
        "/form",
        content=b"a=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code == 400
    field = client.post(
        "/form",
        content=b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--B--\r\n',
        headers={"content-type": "multipart/form-data; boundary=B"},
    )
    assert field.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("multipart/form-data; boundary=" + "b" * 71, "longer than 70 characters"),
        ("multipart/form-data; boundary=" + "b" * 300, "longer than 70 characters"),
        ("multipart/form-data", "without a boundary"),
        ("multipart/form-data; boundary=", "without a boundary"),
    ],
)
def test_bad_boundaries_are_400(client: Any, content_type: str, reason: str) -> None:
    body = b"--" + b"b" * 300 + b"\r\n" + b"x" * 10
    answer = client.post("/form", content=body, headers={"content-type": content_type})
    assert answer.status_code == 400 and reason in answer.text


def test_a_seventy_character_boundary_is_fine(client: Any) -> None:
    boundary = "b" * 70
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--{boundary}--\r\n'
    ).encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    assert client.post("/form", content=body, headers=headers).json() == {"fields": 1}


def test_uploads_spool_to_disk_and_save_only_inside_the_directory(tmp_path: Path) -> None:
    upload = UploadedFile("../../evil name.txt", "text/plain", spool_size=1024)
    upload.write(b"x" * 2048)
    assert upload.file._rolled  # type: ignore[attr-defined]  # past the threshold: on disk
    saved = upload.save(tmp_path / "up", filename="../../escape.txt")
    assert saved == (tmp_path / "up" / "escape.txt").resolve()
    assert saved.read_bytes() == b"x" * 2048
    assert upload.filename == "evil_name.txt"
    upload.close()
