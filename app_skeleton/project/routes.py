"""URL routes of {{ project }}: every route has a name for url_for."""

from {{ project }}.controllers.home import HomeController


def register(app):
    app.router("/", HomeController, name="home")
