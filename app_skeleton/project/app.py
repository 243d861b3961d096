"""The {{ project }} app: serve it with `mvcpy run`, or `gunicorn {{ project }}.app:app`."""

from mvcpy import App

from {{ project }}.routes import register

app = App(__name__)
register(app)
