"""HTTP building blocks: requests, responses, headers, forms."""

from mvcpy.http.datastructures import Headers, MultiDict
from mvcpy.http.request import Request
from mvcpy.http.response import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from mvcpy.http.uploads import UploadedFile

__all__ = [
    "HTMLResponse",
    "Headers",
    "JSONResponse",
    "MultiDict",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "StreamingResponse",
    "UploadedFile",
]
