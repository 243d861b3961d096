"""Flask renders the views benchmark page with the same Jinja templates (WSGI)."""

from __future__ import annotations

from flask import Flask, render_template

from benchmarks.apps.views_spec import CONTEXT, JINJA_TEMPLATES, ROUTES

app = Flask(__name__, template_folder=str(JINJA_TEMPLATES))


def _page() -> str:
    return render_template("views_page/index.html", **CONTEXT)


def _stub(**_: object) -> str:
    return "x"


for _name, (_path, _) in ROUTES.items():
    rule = _path.replace("{id:int}", "<int:id>").replace("{slug}", "<slug>")
    app.add_url_rule(rule, _name, _page if _name == "products" else _stub)
