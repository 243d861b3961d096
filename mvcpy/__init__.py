"""mvcpy: a full-stack MVC web framework in the spirit of Beego."""

from mvcpy.app import App
from mvcpy.binding import ValidationError
from mvcpy.config import Config
from mvcpy.context import Context
from mvcpy.controller import Controller
from mvcpy.di import Inject
from mvcpy.errors import ConfigurationError, HTTPError, abort
from mvcpy.http import (
    EventSourceResponse,
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Request,
    Response,
    ServerSentEvent,
    StreamingResponse,
    UploadedFile,
    XMLResponse,
)
from mvcpy.params import Cookie, Header, Query
from mvcpy.routing import Namespace, URLBuildError
from mvcpy.websocket import WebSocketController

__version__ = "0.1.0"

__all__ = [
    "App",
    "Config",
    "ConfigurationError",
    "Context",
    "Controller",
    "Cookie",
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "HTTPError",
    "Header",
    "Inject",
    "JSONResponse",
    "Namespace",
    "PlainTextResponse",
    "Query",
    "RedirectResponse",
    "Request",
    "Response",
    "ServerSentEvent",
    "StreamingResponse",
    "URLBuildError",
    "UploadedFile",
    "ValidationError",
    "WebSocketController",
    "XMLResponse",
    "__version__",
    "abort",
]
