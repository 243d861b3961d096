"""Falcon's ASGI app with ``async`` responders on resource classes."""

from __future__ import annotations

import falcon
import falcon.asgi

from benchmarks.apps.spec import (
    JSON_BODY,
    PLAINTEXT,
    filler_param_paths,
    filler_static_paths,
    param_text,
)


class Filler:
    """Every filler route."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, **_: str) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "filler"


class Plaintext:
    """``GET /plaintext``."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = PLAINTEXT


class Json:
    """``GET /json``."""

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = JSON_BODY


class UserPost:
    """``GET /users/{id:int}/posts/{slug}``."""

    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, id: int, slug: str
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = param_text(id, slug)


app = falcon.asgi.App()
_filler = Filler()
for _path in filler_static_paths() + filler_param_paths(lambda n: "{" + n + "}"):
    app.add_route(_path, _filler)
app.add_route("/plaintext", Plaintext())
app.add_route("/json", Json())
app.add_route("/users/{id:int}/posts/{slug}", UserPost())
