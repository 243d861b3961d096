"""The API's index: what the service is and where it lives."""

from mvcpy import Controller


class HomeController(Controller):
    """Describe the API."""

    def get(self) -> dict[str, str]:
        """Return the service's name as JSON."""
        return {"name": "{{ project }}", "status": "ok"}
