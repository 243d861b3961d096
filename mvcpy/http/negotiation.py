"""Content negotiation: pick the media type a client prefers from ``Accept`` and q-values."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["choose", "parse_accept", "prefers_xml"]


def parse_accept(header: str) -> list[tuple[str, float]]:
    """Return ``(token, q)`` pairs of an Accept-style header; malformed q-values count as 0."""
    result = []
    for item in header.split(",")[:64]:  # a hostile header does not cost more than this
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        if not media:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        result.append((media, q))
    return result


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """Return the q of the most specific range matching ``media_type`` (-1: no match)."""
    kind = media_type.split("/", 1)[0]
    best, specificity = -1.0, -1
    for media, q in ranges:
        if media == media_type:
            level = 2
        elif media == f"{kind}/*":
            level = 1
        elif media == "*/*":
            level = 0
        else:
            continue
        if level > specificity:
            best, specificity = q, level
    return best


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """Return the offered type the client prefers (ties: the first offered), or ``None``.

    No ``Accept`` header (or an empty one) accepts anything: the first offered wins.
    """
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges = parse_accept(accept)
    chosen, chosen_q = None, 0.0
    for media_type in offered:
        q = _quality(media_type, ranges)
        if q > chosen_q:
            chosen, chosen_q = media_type, q
    return chosen


_ERROR_TYPES = ("application/json", "application/xml", "text/xml")


def prefers_xml(accept: str | None) -> bool:
    """Tell whether a client asks for XML rather than JSON (for error responses)."""
    if not accept or "xml" not in accept:
        return False
    return choose(accept, _ERROR_TYPES) in ("application/xml", "text/xml")
