"""The settings of sessions: ``[session]`` and ``[csrf]``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from mvcpy.config.section import SECRET, SECRET_URL, Section, StrList

__all__ = ["CsrfSettings", "SessionSettings"]


class SessionSettings(Section):
    """``[session]``: the session cookie and where sessions are kept (docs/security.md)."""

    #: lazy: requests that never touch the session pay nothing
    enabled: bool = True
    backend: Literal["cookie", "memory", "redis", "database"] = "cookie"
    cookie_name: str = "session"
    max_age: NonNegativeInt = 14 * 24 * 3600
    path: str = "/"
    domain: str = ""
    httponly: bool = True
    samesite: Literal["Lax", "Strict", "None", "lax", "strict", "none"] = "Lax"
    #: auto: on in prod and for HTTPS requests
    secure: bool | Literal["auto"] = "auto"
    #: re-send the cookie (renew the expiry) on every request
    sliding: bool = False
    max_cookie_size: PositiveInt = 4093
    #: e.g. "X-Session-Id": API clients send the session id in a header
    header: str = ""
    #: still accepted when checking signatures (key rotation)
    old_secret_keys: Annotated[StrList, SECRET] = Field(default_factory=list)
    redis_url: Annotated[str, SECRET_URL] = ""
    redis_prefix: str = "mvcpy:session:"


class CsrfSettings(Section):
    """``[csrf]``: the form field that carries the CSRF token."""

    field: str = "csrf_token"
