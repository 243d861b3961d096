"""The {{ project }} app: `mvcpy run` in development, `gunicorn {{ project }}.app:app` in production."""

from mvcpy import App

from {{ project }}.routes import register

app = App(__name__)
register(app)
