"""The typed example API on a real uvicorn: Schemathesis finds no server errors, and
hostile bodies get a 4xx while the worker survives with bounded memory."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from ._servers import VENV_BIN, ServerProcess, server_env, uvicorn_argv

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.openapi_api:app"


@pytest.fixture(scope="module")
def notes_server(server_logs: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        "openapi-api", uvicorn_argv(APP), server_logs, ready_path="/openapi.json"
    )
    with server:
        yield server


def test_schemathesis_finds_no_server_errors(notes_server: ServerProcess, tmp_path: Any) -> None:
    document = httpx.get(notes_server.base_url + "/openapi.json", timeout=10).json()
    validate(document)
    result = subprocess.run(
        [
            str(VENV_BIN / "schemathesis"),
            "run",
            notes_server.base_url + "/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--request-timeout",
            "10",
            "--phases",
            "examples,coverage,fuzzing",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=server_env(),
        cwd=tmp_path,  # schemathesis keeps a cache in its working directory
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout, result.stdout[-2000:]
    assert httpx.get(notes_server.base_url + "/notes", timeout=10).status_code == 200


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b"]><l>&c;</l>"
)


def test_hostile_bodies_get_4xx_and_the_worker_survives(notes_server: ServerProcess) -> None:
    url = notes_server.base_url + "/notes"
    before = _rss_kib(notes_server.pid)
    with httpx.Client(timeout=30) as client:
        cases = [
            (b"[" * 10_000 + b"]" * 10_000, "application/json", 400),
            (b'{"title": "\xff\xfe"}', "application/json", 400),
            (BILLION_LAUGHS, "application/xml", 400),
            (b"title=x", "text/csv", 415),
            (b'{"title": ""}', "application/json", 422),
        ]
        for body, kind, status in cases:
            answer = client.post(url, content=body, headers={"content-type": kind})
            assert answer.status_code == status, (kind, answer.text)
        many = "&".join(f"f{i}=1" for i in range(10_000))
        answer = client.post(
            url, content=many, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert answer.status_code == 400

        def endless() -> Iterator[bytes]:
            yield b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
            for _ in range(3_000):  # 192 MB
                yield b"x" * 65536

        try:
            cut = client.post(
                url,
                content=endless(),
                headers={"content-type": "multipart/form-data; boundary=B"},
            )
            assert cut.status_code == 413
        except httpx.TransportError:
            pass  # the server answered and closed the connection while we were still sending
        assert client.get(notes_server.base_url + "/search?ids=" + "9" * 5000).status_code == 400
        assert client.get(notes_server.base_url + "/notes/" + "9" * 5000).status_code == 404
        assert client.get(url).status_code == 200
    grown_mib = (_rss_kib(notes_server.pid) - before) / 1024
    assert grown_mib < 64, f"the worker grew by {grown_mib:.0f} MiB"
