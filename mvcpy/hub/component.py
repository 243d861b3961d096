"""The hub component: ``[hub]`` and the ``hub`` service; a broker connects at startup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.components import ServiceComponent, Setup
from mvcpy.hub.settings import HubSettings

if TYPE_CHECKING:
    from mvcpy.hub.hub import Hub

__all__ = ["HubComponent"]


class HubComponent(ServiceComponent):
    """Publish the app's :class:`~mvcpy.hub.Hub`, built on first use.

    With a broker other than memory the hub connects when the server starts, so that an
    unreachable broker stops the startup with its reason.
    """

    name = "hub"
    service = "hub"
    sections = {"hub": HubSettings}

    def build(self, setup: Setup) -> Hub:
        """Build the hub from ``[hub]``; it renders fragments with the app's templates."""
        from mvcpy.hub.hub import Hub

        return Hub.from_settings(setup.settings(HubSettings), setup.get_service("templates"))

    async def startup(self) -> None:
        """Connect the broker when it is not the in-process one."""
        setup = self.setup
        if setup is not None and setup.settings(HubSettings).backend != "memory":
            await setup.services[self.service].start()

    async def shutdown(self) -> None:
        """Close the broker's connections and every subscriber, if the hub was built."""
        hub = self.built()
        if hub is not None:
            await hub.close()
