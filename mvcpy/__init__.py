"""mvcpy: a full-stack MVC web framework in the spirit of Beego."""

from mvcpy.app import App
from mvcpy.config import Config
from mvcpy.context import Context
from mvcpy.controller import Controller
from mvcpy.errors import ConfigurationError, HTTPError, abort
from mvcpy.http import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Request,
    Response,
    StreamingResponse,
    UploadedFile,
)
from mvcpy.routing import Namespace, URLBuildError

__version__ = "0.1.0"

__all__ = [
    "App",
    "Config",
    "ConfigurationError",
    "Context",
    "Controller",
    "HTMLResponse",
    "HTTPError",
    "JSONResponse",
    "Namespace",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "StreamingResponse",
    "URLBuildError",
    "UploadedFile",
    "__version__",
    "abort",
]
