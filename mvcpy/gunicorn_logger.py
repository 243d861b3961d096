"""gunicorn's own log lines in the app's format, JSON in prod.

In ``gunicorn.conf.py``: ``logger_class = "mvcpy.gunicorn_logger.GunicornLogger"``.

gunicorn writes its process lines (``Booting worker``, ``Handling signal``, a worker's
timeout) through its ``gunicorn.error`` logger, and uvicorn's worker sends its lines
(``Started server process``, ``Application startup complete``) to the same handlers. This
logger is gunicorn's own, with one change: when the app's ``[logging] format`` is
``"json"`` (the default in ``prod``), those handlers write the framework's JSON lines, so
everything a production server prints on stderr is one JSON object per line.

The format is read from the project's configuration without starting the app: the
project's root is the directory of the module gunicorn serves (``NAME.app`` in
``NAME.app:app``), as for :class:`mvcpy.App`, and ``MVCPY_ENV`` and ``MVCPY_*``
variables apply as usual. A configuration that does not load leaves gunicorn's text
format; the worker then fails with the configuration's own error.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from mvcpy.config import LoggingSettings, load_config
from mvcpy.config.loader import module_root
from mvcpy.errors import ConfigurationError
from mvcpy.logs import json_formatter

__all__ = ["GunicornLogger", "project_log_format"]


def project_log_format(wsgi_app: str | None) -> str:
    """Return the ``[logging] format`` of the project that serves ``wsgi_app``."""
    try:
        config = load_config(module_root(wsgi_app))
    except ConfigurationError:
        return "text"
    return config.section_of(LoggingSettings).format


class GunicornLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, writing JSON lines when the app's logging format is JSON."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then give them the app's formatter."""
        super().setup(cfg)
        if project_log_format(cfg.wsgi_app) != "json":
            return
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):  # ours, not a logconfig's
                    handler.setFormatter(json_formatter())
