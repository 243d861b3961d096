"""The {{ project }} JSON API: `mvcpy run` in development, `gunicorn {{ project }}.app:app` in production."""

from mvcpy import App

from {{ project }}.routes import register

app = App(__name__)
# No CSRF check: API clients authenticate with a token in a header (mvcpy.auth's
# BearerAuth), which another site's page cannot send. If browsers log in here with the
# session cookie, add app.use(CSRFProtect()) from mvcpy.sessions.csrf.
register(app)
