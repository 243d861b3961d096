"""How values are stored: JSON, and raw bytes; never pickle (nothing runs on load)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["decode", "encode"]

_BYTES = b"\x01"  # a top-level bytes value, stored as it is


def encode(value: Any) -> bytes:
    """Return the stored form of ``value``: JSON (pydantic models as their JSON data), or
    ``bytes`` as they are. Raise ``TypeError`` for what JSON cannot hold."""
    if isinstance(value, bytes | bytearray | memoryview):
        return _BYTES + bytes(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the cache stores JSON values and bytes; {exc}") from None


def decode(raw: bytes) -> Any:
    """Return the value ``raw`` stores."""
    if raw[:1] == _BYTES:
        return raw[1:]
    return json.loads(raw)
