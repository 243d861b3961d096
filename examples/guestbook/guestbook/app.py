"""The guestbook app: ``mvcpy db upgrade``, then ``mvcpy run``, in examples/guestbook."""

from guestbook.controllers.home import EntriesApiController, HomeController
from mvcpy import App

app = App(__name__)

app.router("/", HomeController, "get:index;post:create", name="home")
app.router("/api/entries", EntriesApiController, name="api.entries")
