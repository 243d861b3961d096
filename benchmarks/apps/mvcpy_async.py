"""mvcpy with ``async def`` actions: controllers, a typed parameter route, filler resources."""

from __future__ import annotations

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)
from mvcpy import App, Controller


class FillerController(Controller):
    """Answers every filler route."""

    async def get(self) -> object:
        return self.text("filler")


class FillerItemController(Controller):
    """Answers the filler routes with an ``id``."""

    async def show(self, id: str) -> object:
        return self.text(id)


class PlaintextController(Controller):
    """``GET /plaintext``."""

    async def get(self) -> object:
        return self.text(PLAINTEXT)


class JsonController(Controller):
    """``GET /json``: a dict becomes JSON."""

    async def get(self) -> object:
        return dict(JSON_BODY)


class PostsController(Controller):
    """``GET /users/{id:int}/posts/{slug}``."""

    async def show(self, id: int, slug: str) -> object:
        return self.text(param_text(id, slug))


app = App(__name__, env="prod", config={"secret_key": "benchmark-" + "x" * 32})
for path in filler_static_paths():
    app.router(path, FillerController)
for path in filler_param_paths(lambda n: "{" + n + "}"):
    app.router(path, FillerItemController, "get:show")
app.router("/plaintext", PlaintextController)
app.router("/json", JsonController)
app.router("/users/{id:int}/posts/{slug}", PostsController, "get:show")
