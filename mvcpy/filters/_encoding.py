"""Parse ``Accept-Encoding`` (shared by compression and static files)."""

from __future__ import annotations

__all__ = ["accepted_encodings"]


def accepted_encodings(header: str | None) -> frozenset[str]:
    """Return the content codings the client accepts (``q=0`` excluded, lower case)."""
    if not header:
        return frozenset()
    accepted: set[str] = set()
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            accepted.add(coding)
    return frozenset(accepted)
