"""The settings of authentication: ``[auth]``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mvcpy.config.section import SECRET_URL, Section, StrList

__all__ = ["AuthSettings"]


class AuthSettings(Section):
    """``[auth]``: where logins happen, which credentials count, how logins are throttled
    (docs/security.md, docs/accounts.md)."""

    #: the route name (or path) ``login_required`` sends HTML clients to; ``""``: none (an
    #: API), every client without a user gets 401
    login_route: str = "login"
    #: other hosts that ``next=`` and ``check_redirect`` may send users to
    redirect_hosts: StrList = Field(default_factory=list)
    #: ``Authorization`` schemes whose token goes to ``app.token_loader`` (case-insensitive)
    token_schemes: StrList = Field(default_factory=lambda: ["Bearer", "Token"])
    #: the user attribute sessions are bound to: when it changes (a new password hash),
    #: every session logged in before ends; ``""`` turns the binding off
    session_binding: str = "password_hash"
    #: the attribute of an object that holds its owner's id (``owner_of=`` checks)
    owner_field: str = "user_id"
    #: how many login or reset attempts an account, and an address, may make
    throttle_rate: str = "10/minute"
    #: share throttles between workers and machines (a Redis URL); empty: per process
    throttle_redis_url: Annotated[str, SECRET_URL] = ""
