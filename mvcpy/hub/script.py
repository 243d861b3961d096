"""The browser side of live updates: ``static/js/mvcpy-live.js``, served by the app."""

from __future__ import annotations

from mvcpy._resources import resource_dir
from mvcpy.context import Context  # at run time: the handler's hints are read to bind it
from mvcpy.http.files import FileResponse

__all__ = ["LIVE_SCRIPT", "live_script"]

#: The script's path inside the framework's ``static/`` directory.
LIVE_SCRIPT = "js/mvcpy-live.js"


async def live_script(ctx: Context) -> FileResponse:
    """Answer the client script (ETag and Last-Modified, so browsers revalidate cheaply)."""
    response = FileResponse(resource_dir("static") / LIVE_SCRIPT, media_type="text/javascript")
    response.set_header("cache-control", "no-cache")
    return response
