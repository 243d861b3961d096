"""The gunicorn worker for mvcpy apps: ``worker_class = "mvcpy.workers.UvicornWorker"``.

It is uvicorn's own gunicorn worker, with the uvicorn settings that belong to the app
read from the app's configuration once gunicorn has loaded it, before the server starts:

- ``[websocket] ping_interval`` -> ``ws_ping_interval``, ``ping_timeout`` ->
  ``ws_ping_timeout``, ``max_message_size`` -> ``ws_max_size`` (the same options that
  ``mvcpy run`` passes to ``uvicorn.run``);
- forwarding headers are left to the app's trusted-proxies filter
  (``[filters.proxies]``), as under ``mvcpy run``, instead of being applied by uvicorn too;
- the HTTP protocol is mvcpy's (:mod:`mvcpy.server_protocol`): ``[server]
  header_timeout`` and ``body_timeout`` against slow clients.
"""

from __future__ import annotations

import sys

import uvicorn_worker
from gunicorn.arbiter import Arbiter

from mvcpy._uvicorn import http_protocol, websocket_options
from mvcpy.errors import ConfigurationError

__all__ = ["UvicornWorker"]


class UvicornWorker(uvicorn_worker.UvicornWorker):  # type: ignore[misc]
    """A gunicorn worker that serves an mvcpy app with uvicorn, configured by the app."""

    def run(self) -> None:
        """Apply the app's settings to the uvicorn config, then serve."""
        # gunicorn has loaded the app into self.wsgi (init_process -> load_wsgi) by now;
        # uvicorn builds its protocols from self.config only when the server starts.
        self.apply_app_settings(self.wsgi)
        super().run()

    def apply_app_settings(self, app: object) -> None:
        """Copy the uvicorn options of ``app``'s configuration onto ``self.config``."""
        from mvcpy.app import App

        if not isinstance(app, App):
            self.log.warning(
                "mvcpy.workers.UvicornWorker: %r is not an mvcpy App; uvicorn's WebSocket "
                "defaults apply",
                type(app).__name__,
            )
            return
        from mvcpy.websocket import WebSocketSettings

        try:
            options = websocket_options(app.config.section_of(WebSocketSettings))
        except ConfigurationError as exc:
            self.log.error("mvcpy: %s", exc)
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
        for name, value in options.items():
            setattr(self.config, name, value)
        self.config.proxy_headers = False
        self.config.http = http_protocol()  # header and body timeouts ([server])
