"""Request data: a validated JSON POST beside FastAPI and Litestar, a multipart upload and
a file download beside Starlette. In process: each ASGI app is called directly.

    python benchmarks/run.py --suite request_data [--quick]

Peak memory is measured with tracemalloc in a separate pass (tracing slows everything),
so the timing rows are untraced.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.common import markdown_table, median, new_event_loop

ASGI = Callable[..., Any]
CHUNK = 64 * 1024


async def _call(
    app: ASGI, method: str, path: str, headers: list[tuple[bytes, bytes]], body: Any
) -> tuple[int, int]:
    """Send one request; ``body`` is bytes or a callable returning chunk iterators."""
    chunks = [body] if isinstance(body, bytes) else body()
    iterator = iter(chunks)
    done = asyncio.Event()
    status = 0
    size = 0

    async def receive() -> dict[str, Any]:
        chunk = next(iterator, None)
        if chunk is not None:
            return {"type": "http.request", "body": chunk, "more_body": True}
        if not done.is_set() and not getattr(receive, "ended", False):
            receive.ended = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)
    return status, size


def _per_request_us(
    loop: asyncio.AbstractEventLoop, app: ASGI, request: tuple[Any, ...], n: int, runs: int
) -> tuple[float, int]:
    status, _ = loop.run_until_complete(_call(app, *request))
    for _ in range(min(n, 200)):
        loop.run_until_complete(_call(app, *request))
    samples = []
    for _ in range(runs):

        async def batch() -> None:
            for _ in range(n):
                await _call(app, *request)

        start = time.perf_counter()
        loop.run_until_complete(batch())
        samples.append((time.perf_counter() - start) / n * 1e6)
    return median(samples), status


def _multipart(size: int) -> tuple[list[tuple[bytes, bytes]], Callable[[], Any]]:
    boundary = b"benchboundary7d3f"
    head = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )
    tail = b"\r\n--" + boundary + b"--\r\n"
    block = b"x" * CHUNK

    def chunks() -> Any:
        yield head
        remaining = size
        while remaining > 0:
            yield block[: min(CHUNK, remaining)]
            remaining -= CHUNK
        yield tail

    headers = [
        (b"content-type", b"multipart/form-data; boundary=" + boundary),
        (b"content-length", str(len(head) + size + len(tail)).encode()),
    ]
    return headers, chunks


def _peak_mib(loop: asyncio.AbstractEventLoop, app: ASGI, request: tuple[Any, ...]) -> float:
    loop.run_until_complete(_call(app, *request))  # warm: imports, caches
    tracemalloc.start()
    tracemalloc.reset_peak()
    loop.run_until_complete(_call(app, *request))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1024 * 1024)


class RequestDataResult:
    """The suite's tables."""

    def __init__(self) -> None:
        self.post: list[tuple[str, str, float, int]] = []
        self.upload: list[tuple[str, int, float, float, int]] = []
        self.download: list[tuple[str, int, float, int]] = []

    def markdown(self) -> str:
        """Render the tables as Markdown."""
        parts = [
            "Validated JSON POST, 10-field pydantic model (µs/request, in process):",
            "",
            markdown_table(
                ["framework", "body", "µs/request", "status"],
                [(f, b, f"{t:.1f}", s) for f, b, t, s in self.post],
            ),
            "",
            "Multipart upload of one file (ms/request; peak traced Python memory):",
            "",
            markdown_table(
                ["framework", "file MiB", "ms/request", "peak MiB", "status"],
                [(f, m, f"{t:.1f}", f"{p:.2f}", s) for f, m, t, p, s in self.upload],
            ),
            "",
            "File download (ms/request):",
            "",
            markdown_table(
                ["framework", "file MiB", "ms/request", "status"],
                [(f, m, f"{t:.1f}", s) for f, m, t, s in self.download],
            ),
        ]
        return "\n".join(parts)


def run(quick: bool = False) -> RequestDataResult:
    """Run the suite."""
    from benchmarks.apps import rd_fastapi, rd_litestar, rd_mvcpy, rd_starlette
    from benchmarks.apps.rd_spec import INVALID_BODY, VALID_BODY

    result = RequestDataResult()
    loop = new_event_loop()
    workdir = tempfile.mkdtemp(prefix="mvcpy-rd-")
    download = os.path.join(workdir, "download.bin")
    download_mib = 20 if quick else 100
    with open(download, "wb") as out:
        block = os.urandom(1024 * 1024)
        for _ in range(download_mib):
            out.write(block)
    apps = {
        "mvcpy": rd_mvcpy.make_app(download),
        "FastAPI": rd_fastapi.make_app(),
        "Litestar": rd_litestar.make_app(),
    }
    starlette = rd_starlette.make_app(download)
    n, runs = (300, 3) if quick else (2000, 5)
    json_headers = [(b"content-type", b"application/json")]
    try:
        for label, body in (("valid", VALID_BODY), ("invalid", INVALID_BODY)):
            for name, app in apps.items():
                headers = [*json_headers, (b"content-length", str(len(body)).encode())]
                us, status = _per_request_us(loop, app, ("POST", "/people", headers, body), n, runs)
                result.post.append((name, label, us, status))
        for mib in (10, 50) if not quick else (10,):
            headers, chunks = _multipart(mib * 1024 * 1024)
            request = ("POST", "/upload", headers, chunks)
            for name, app in (("mvcpy", apps["mvcpy"]), ("Starlette", starlette)):
                ms, status = _per_request_us(loop, app, request, 1 if quick else 3, runs)
                peak = _peak_mib(loop, app, request)
                result.upload.append((name, mib, ms / 1000, peak, status))
        for name, app in (("mvcpy", apps["mvcpy"]), ("Starlette", starlette)):
            ms, status = _per_request_us(loop, app, ("GET", "/download", [], b""), 1, runs)
            result.download.append((name, download_mib, ms / 1000, status))
    finally:
        loop.close()
        os.unlink(download)
        os.rmdir(workdir)
    return result


if __name__ == "__main__":
    print(run(quick=True).markdown())
