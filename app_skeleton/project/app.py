"""The {{ project }} app: `mvcpy run` in development, `gunicorn {{ project }}.app:app` in production."""

from mvcpy import App
from mvcpy.filters.method_override import MethodOverride
from mvcpy.sessions.csrf import CSRFProtect

from {{ project }}.routes import register

app = App(__name__)
# HTML forms can only POST: a hidden _method field (PUT, PATCH, DELETE) says what they mean.
app.add_middleware(MethodOverride)
# Every POST, PUT, PATCH and DELETE must carry the session's CSRF token: forms include
# csrf_input(), scripts send the X-CSRF-Token header. Exempt token-authenticated routes
# by name: CSRFProtect(exempt=["api.*"]).
app.use(CSRFProtect())
register(app)
