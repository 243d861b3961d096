"""URL routes of {{ project }}: every route has a name for url_for."""

from mvcpy import App

from {{ project }}.controllers.home import HomeController


def register(app: App) -> None:
    """Add the routes of {{ project }} to the app."""
    app.router("/", HomeController, name="home")
