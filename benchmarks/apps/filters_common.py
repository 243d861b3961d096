"""What the filter benchmark apps share: a log that goes nowhere, the same headers."""

from __future__ import annotations

import logging
import os

__all__ = ["SECURITY_HEADERS", "discard_log"]

#: The security headers every framework adds in the "full" apps (mvcpy's defaults).
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


def discard_log(name: str) -> logging.Logger:
    """Send logger ``name``'s INFO records to /dev/null (formatted, so the cost is paid)."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(os.devnull)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger
