"""Authentication and permissions: who the request is, what they may do, and their tokens.

Build on sessions (``[session] enabled = true``): ``login(ctx, user)`` regenerates the
session and remembers the user; ``app.user_loader(fn)`` turns the id into a user once per
request, and ``app.token_loader(fn)`` a header token (``Bearer`` or ``Token``).
``login_required`` and ``require("posts.edit")`` are filters; ``authorize`` and ``can``
check permissions and ownership in actions and templates (docs/accounts.md).
"""

from mvcpy.auth.component import AuthComponent
from mvcpy.auth.filters import LoginRequired, Require, login_required, require
from mvcpy.auth.identity import (
    USER_ID_KEY,
    Credentials,
    current_user,
    load_current_user,
    login,
    logout,
)
from mvcpy.auth.passwords import hash_password, password_needs_rehash, verify_password
from mvcpy.auth.permissions import authorize, can, has_permission, owns, user_can
from mvcpy.auth.redirects import check_redirect, safe_next
from mvcpy.auth.settings import AuthSettings
from mvcpy.auth.throttle import AuthThrottle
from mvcpy.auth.tokens import JWTSigner, LinkClaim, LinkTokens, TokenSigner
from mvcpy.redirects import is_safe_url

__all__ = [
    "USER_ID_KEY",
    "AuthComponent",
    "AuthSettings",
    "AuthThrottle",
    "Credentials",
    "JWTSigner",
    "LinkClaim",
    "LinkTokens",
    "LoginRequired",
    "Require",
    "TokenSigner",
    "authorize",
    "can",
    "check_redirect",
    "current_user",
    "has_permission",
    "hash_password",
    "is_safe_url",
    "load_current_user",
    "login",
    "login_required",
    "logout",
    "owns",
    "password_needs_rehash",
    "require",
    "safe_next",
    "user_can",
    "verify_password",
]
