"""The home page."""

from mvcpy import Controller
from mvcpy.start_page import project_overview


class HomeController(Controller):
    """Serve the home page."""

    def get(self) -> None:
        """Render views/home/get.html (an action that returns nothing renders its view)."""
        self.data["title"] = "{{ project }}"
        # Development: the start page shows what mvcpy sees of the project.
        self.data["overview"] = project_overview(self.app) if self.app.debug else None
