"""HTTP building blocks: requests, responses, headers, forms."""

from mvcpy.http.datastructures import Headers, MultiDict
from mvcpy.http.files import FileResponse
from mvcpy.http.request import Request
from mvcpy.http.response import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from mvcpy.http.sse import EventSourceResponse, ServerSentEvent
from mvcpy.http.uploads import UploadedFile
from mvcpy.http.xml import XMLResponse

__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "Headers",
    "JSONResponse",
    "MultiDict",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "ServerSentEvent",
    "StreamingResponse",
    "UploadedFile",
    "XMLResponse",
]
