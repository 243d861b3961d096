"""mvcpy renders the views benchmark page through a controller (sync and async actions)."""

from __future__ import annotations

from benchmarks.apps.views_spec import CONTEXT, ROUTES, TEMPLATES
from mvcpy import App, Controller


class ViewsPageController(Controller):
    """``GET /products``: no return, so ``views_page/index.html`` renders by convention."""

    def index(self) -> None:
        self.data.update(CONTEXT)


class AsyncViewsPageController(Controller):
    """The same page from an ``async def`` action."""

    async def index(self) -> None:
        self.data.update(CONTEXT)
        self.tpl_name = "views_page/index.html"


def build(controller: type[Controller], bytecode_cache: str = "") -> App:
    """Return an app serving the page with ``controller`` (prod: caches, no reload)."""
    app = App(
        root_path=TEMPLATES,
        env="prod",
        config={
            "secret_key": "benchmark-secret-key-not-for-production-use",
            "views": ["jinja"],
            "templates": {"bytecode_cache": bytecode_cache},
        },
    )
    for name, (path, _) in ROUTES.items():
        if name == "products":
            app.router(path, controller, "get:index", name=name)
        else:
            app.get(path, lambda ctx: "x", name=name)
    return app


app = build(ViewsPageController)
app_async = build(AsyncViewsPageController)
