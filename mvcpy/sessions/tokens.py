"""The session's CSRF token and the hidden form field that carries it."""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from typing import Any

from markupsafe import Markup, escape

__all__ = ["CSRF_KEY", "csrf_input", "csrf_token"]

#: the session key that holds the token
CSRF_KEY = "_csrf"


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_input(session: MutableMapping[str, Any], field: str = "csrf_token") -> Markup:
    """Return ``<input type="hidden">`` carrying the session's CSRF token."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        escape(field), csrf_token(session)
    )
