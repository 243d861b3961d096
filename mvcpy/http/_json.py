"""JSON encoding: orjson when it is installed, the standard library otherwise."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads"]


def _default(obj: Any) -> Any:
    """Serialise the types a web app returns beyond JSON's own."""
    if isinstance(obj, datetime.datetime | datetime.date | datetime.time):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    model_dump = getattr(obj, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _stdlib_dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


dumps: Callable[[Any], bytes]
loads: Callable[[bytes | str], Any] = json.loads

try:  # PERF: orjson encodes 3-10x faster; it is optional, so fall back quietly.
    import orjson as _orjson

    _OPTIONS = _orjson.OPT_SERIALIZE_NUMPY if hasattr(_orjson, "OPT_SERIALIZE_NUMPY") else 0

    def _orjson_dumps(obj: Any) -> bytes:
        encoded: bytes = _orjson.dumps(obj, default=_default, option=_OPTIONS)
        return encoded

    dumps = _orjson_dumps
    loads = _orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    dumps = _stdlib_dumps
