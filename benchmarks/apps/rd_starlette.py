"""Starlette side of the request-data benchmark: multipart upload and FileResponse."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route


def make_app(download: str) -> Starlette:
    async def upload(request: Request) -> JSONResponse:
        async with request.form(max_part_size=1 << 30) as form:
            file = form["file"]
            return JSONResponse({"size": file.size})  # type: ignore[union-attr]

    async def download_file(request: Request) -> FileResponse:
        return FileResponse(download)

    return Starlette(
        routes=[Route("/upload", upload, methods=["POST"]), Route("/download", download_file)]
    )
