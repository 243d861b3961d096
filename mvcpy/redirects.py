"""Where a redirect may go: one rule for ``redirect()``, ``safe_next()`` and the login's
``next``.

A target is a route name only when it looks like one (``posts.show``: dotted
identifiers); anything else is a URL, and a URL is followed only when it is

- a path on this site (``/posts/3?page=2``; not ``//host`` nor ``/\\host``, which
  browsers read as another host),
- a query or a fragment of the current page (``?page=2``, ``#top``), or
- an ``http``/``https`` URL whose host is this request's host or one of the allowed
  hosts (``[auth] redirect_hosts``).

Refused, whatever their host: other schemes (``javascript:``, ``data:``), scheme-relative
URLs (``//evil.example``), ``scheme:/host`` and ``scheme:host`` (``http:/evil.example``,
which browsers complete to another host), relative paths (``evil/x``), backslashes, and
control characters or spaces (browsers drop tabs and newlines, so ``/\\t/evil.example``
would become ``//evil.example``). This is the OWASP unvalidated-redirects rule, stricter
than Django's ``url_has_allowed_host_and_scheme`` where a relative path is concerned.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

__all__ = ["is_route_name", "is_safe_url", "unsafe_reason"]

_ROUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
#: C0 controls, space, DEL and the C1 controls: never in a URL a browser should follow
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def is_route_name(target: str) -> bool:
    """Whether ``redirect(target)`` means a route name (``home``, ``posts.show``)."""
    return _ROUTE_NAME.fullmatch(target) is not None


def unsafe_reason(url: str, host: str, allowed_hosts: Collection[str] = ()) -> str | None:
    """Why redirecting to ``url`` from a request to ``host`` is refused; None when it is
    safe. ``allowed_hosts`` are other host names (lower case) it may go to."""
    if not url:
        return "the target is empty"
    if _CONTROL.search(url):
        return "the target holds spaces or control characters"
    if "\\" in url:
        return "the target holds a backslash"
    if url.startswith(("?", "#")):
        return None
    if url.startswith("//"):
        return "a scheme-relative URL (//host) leaves the site"
    if url.startswith("/"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the target is not a URL"
    if not parts.scheme:
        return "a relative path: use a path that starts with / or a route name"
    if parts.scheme not in ("http", "https"):
        return f"the scheme {parts.scheme!r} is not http or https"
    if not url[len(parts.scheme) + 1 :].startswith("//") or not parts.netloc:
        return "an http(s) URL without //host leaves the site in browsers"
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    if netloc == host.lower() or (parts.hostname or "") in allowed_hosts:
        return None
    return f"{netloc} is another host (allow it in [auth] redirect_hosts)"


def is_safe_url(url: str, host: str, allowed_hosts: Collection[str] = ()) -> bool:
    """Whether a redirect to ``url`` from a request to ``host`` stays on the site (or goes
    to one of ``allowed_hosts``); see the module's rule."""
    return unsafe_reason(url, host, allowed_hosts) is None
