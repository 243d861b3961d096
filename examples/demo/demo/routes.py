"""URL routes of demo: every route has a name for url_for.

`make demo` writes this file over the generated one: the routes of the two scaffolds,
plus the live page and its WebSocket (demo/controllers/live.py).
"""

from mvcpy import App

from demo.controllers.comments import CommentsController
from demo.controllers.home import HomeController
from demo.controllers.live import LiveController, LiveSocket
from demo.controllers.posts import PostsController


def register(app: App) -> None:
    """Add the routes of demo to the app."""
    app.router("/", HomeController, name="home")
    app.resource("/posts", PostsController, param="id:int")
    app.resource("/comments", CommentsController, param="id:int")
    app.router("/live", LiveController, "get:show", name="live.show")
    app.websocket("/ws/live", LiveSocket, name="live.socket")
    app.serve_live_script()  # /mvcpy/live.js: connects the page, applies the fragments
