"""Parse ``Accept-Encoding`` (shared by compression and static files)."""

from __future__ import annotations

from mvcpy.http.negotiation import parse_accept

__all__ = ["accepted_encodings"]


def accepted_encodings(header: str | None) -> frozenset[str]:
    """Return the content codings the client accepts (``q=0`` excluded, lower case)."""
    if not header:
        return frozenset()
    # Accept-Encoding has the same "token;q=value" list syntax as Accept.
    return frozenset(coding for coding, quality in parse_accept(header) if quality > 0)
