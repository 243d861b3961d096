"""The home page."""

from mvcpy import Controller


class HomeController(Controller):
    """Serve the home page."""

    def get(self) -> None:
        """Render views/home/get.html (an action that returns nothing renders its view)."""
        self.data["title"] = "{{ project }}"
