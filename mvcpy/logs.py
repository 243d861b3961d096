"""Where the framework's log records go: one handler on the ``mvcpy`` logger, text or JSON.

``[logging] format = "json"`` (the default in ``prod``) writes one JSON object per line
through python-json-logger: ``level``, ``logger``, ``message``, ``request_id`` when the
record belongs to a request, ``exception`` with the traceback text, ``timestamp``
(ISO 8601, UTC), plus any extra fields of the record (the access log's ``access``).
``"text"`` (the default elsewhere) writes
``2024-05-01 12:00:00,123 INFO mvcpy.access [id] message``.

The handler is installed when the app starts serving (the ASGI lifespan startup), on
stderr, unless ``[logging] configure = false`` or the process already has a logging
configuration of its own (handlers on the root logger): then that configuration decides.
Loggers below ``mvcpy`` (``mvcpy.access``, ``mvcpy.health``, ``mvcpy.migrate``) share it.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from mvcpy.config.core import LoggingSettings
from mvcpy.errors import ConfigurationError
from mvcpy.filters.request_id import RequestIDLogFilter, current_request_id

if TYPE_CHECKING:
    from mvcpy.application import Application

__all__ = ["FORMATS", "configure_logging", "json_formatter", "text_formatter", "writes_json_lines"]

FORMATS = ("text", "json")
_HANDLER_NAME = "mvcpy"
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestIdField(logging.Filter):
    """Give a record ``request_id`` when it belongs to a request, and nothing otherwise."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_request_id.get()
            if request_id is None:
                # The access log writes after the response, once the id's context has ended.
                access = getattr(record, "access", None)
                if isinstance(access, dict) and access.get("request_id") not in (None, "-"):
                    request_id = access["request_id"]
            if request_id is not None:
                record.request_id = request_id
        return True


def json_formatter() -> logging.Formatter:
    """Return the JSON-lines formatter (python-json-logger; orjson when it is installed)."""
    base: type[logging.Formatter]
    try:
        # PERF: orjson encodes a record several times faster than the json module.
        from pythonjsonlogger.orjson import OrjsonFormatter

        base = OrjsonFormatter
    except ImportError:
        from pythonjsonlogger.json import JsonFormatter

        base = JsonFormatter
    return base(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
        timestamp=True,
    )


def text_formatter() -> logging.Formatter:
    """Return the human-readable formatter (it expects ``request_id`` on every record)."""
    return logging.Formatter(_TEXT)


def _level(value: object) -> int:
    level = logging.getLevelName(str(value).upper())
    if not isinstance(level, int):
        raise ConfigurationError(
            f"[logging] level {value!r} is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return level


def configure_logging(app: Application) -> bool:
    """Install the ``mvcpy`` handler from ``[logging]``; return whether it was installed.

    Calling it again (another app in the same process) replaces the handler.
    """
    settings = app.config.section_of(LoggingSettings)
    fmt = settings.format
    level = _level(settings.level)
    if not settings.configure or logging.getLogger().handlers:
        return False
    logger = logging.getLogger("mvcpy")
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    if fmt == "json":
        handler.addFilter(_RequestIdField())
        handler.setFormatter(json_formatter())
    else:
        handler.addFilter(RequestIDLogFilter())
        handler.setFormatter(text_formatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    return True


def writes_json_lines(logger: logging.Logger) -> bool:
    """Tell whether records of ``logger`` reach the framework's handler in the JSON format."""
    from pythonjsonlogger.core import BaseJsonFormatter

    node: logging.Logger | None = logger
    while node is not None:
        for handler in node.handlers:
            if handler.get_name() == _HANDLER_NAME:
                return isinstance(handler.formatter, BaseJsonFormatter)
        node = node.parent if node.propagate else None
    return False
