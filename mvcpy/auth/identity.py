"""Who the request is: log in and out, and one current user for every credential.

The user comes from an ``Authorization`` token (``app.token_loader``, schemes from
``[auth] token_schemes``) or from the session (``app.user_loader``); either way
``current_user``, ``login_required`` and permissions read it the same way. A session is
bound to the user's password hash (``[auth] session_binding``), so changing the password
ends every session logged in before.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mvcpy.auth.settings import AuthSettings
from mvcpy.errors import HTTPError
from mvcpy.filters.auth import takes_context
from mvcpy.sessions.csrf import CSRF_KEY
from mvcpy.sessions.manager import TRANSIENT_KEY
from mvcpy.types import USER_KEY

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.http.request import Request
    from mvcpy.sessions.session import Session

__all__ = [
    "BINDING_KEY",
    "TRANSIENT_KEY",
    "USER_ID_KEY",
    "Credentials",
    "current_user",
    "load_current_user",
    "login",
    "logout",
    "start_session",
]

#: the session key that holds the logged-in user's id
USER_ID_KEY = "_user_id"
#: the session key that binds it to the user's password hash (a keyed digest of it)
BINDING_KEY = "_auth_binding"
_NOT_LOADED: Any = object()

Loader = Callable[..., Any]


def _call(fn: Loader, value: Any, ctx: Context) -> Any:
    return fn(value, ctx) if takes_context(fn) else fn(value)


class Credentials:
    """The ``auth`` service: the token loader, the accepted schemes, the session binding."""

    def __init__(self, settings: AuthSettings, secret_keys: str | list[str]) -> None:
        self.settings = settings
        #: lower-cased ``Authorization`` schemes that carry a token for the token loader
        self.schemes = frozenset(s.lower() for s in settings.token_schemes)
        #: ``fn(token[, ctx]) -> user | None``, registered with ``app.token_loader``
        self.token_loader: Loader | None = None
        keys = [secret_keys] if isinstance(secret_keys, str) else secret_keys
        # The first key binds new sessions; old ones ([session] old_secret_keys) still
        # match, so rotating the secret key logs nobody out.
        self._keys = [hashlib.sha256(b"mvcpy.auth.binding:" + k.encode()).digest() for k in keys]
        scheme = settings.token_schemes[0] if settings.token_schemes else "Bearer"
        #: the challenge sent with a refused token
        self.challenge = {"www-authenticate": f'{scheme} realm="mvcpy", error="invalid_token"'}

    def token_of(self, request: Request) -> str | None:
        """Return the request's token when its ``Authorization`` scheme is accepted here."""
        if self.token_loader is None:
            return None
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in self.schemes:
            return None
        token = token.strip()
        if not token:
            raise HTTPError(401, "The token is missing", self.challenge)
        return token

    def binding(self, user: Any, key: int = 0) -> str | None:
        """A keyed digest of the user's bound attribute, or ``None`` when it has none."""
        name = self.settings.session_binding
        value = getattr(user, name, None) if name else None
        if not value:
            return None
        return hmac.new(self._keys[key], str(value).encode(), hashlib.sha256).hexdigest()[:32]

    def binds(self, user: Any, stored: str) -> bool:
        """Whether ``stored`` (from a session) is the user's binding under one of the keys."""
        for index in range(len(self._keys)):
            current = self.binding(user, index)
            if current is None:
                return False  # nothing to bind to any more: the login does not hold
            if hmac.compare_digest(current, stored):
                return True
        return False


def _credentials(ctx: Context) -> Credentials | None:
    credentials: Credentials | None = ctx.app.services.get("auth")
    return credentials


def _user_id(user: Any) -> Any:
    if isinstance(user, (str, int)) or not hasattr(user, "id"):
        return user
    return user.id


def start_session(
    session: Session, user: Any, credentials: Credentials | None, remember: bool = True
) -> None:
    """Log ``user`` into ``session``: a new id, no CSRF token from before, the user's id, its
    binding, and whether the cookie outlives the browser (``login`` and the test client)."""
    session.regenerate()
    for key in (CSRF_KEY, BINDING_KEY, TRANSIENT_KEY):  # a token seen before login is void
        session.pop(key, None)
    session[USER_ID_KEY] = _user_id(user)
    binding = credentials.binding(user) if credentials is not None else None
    if binding is not None:
        session[BINDING_KEY] = binding
    if not remember:
        session[TRANSIENT_KEY] = True


def login(ctx: Context, user: Any, *, remember: bool = True) -> None:
    """Log ``user`` (a user object, or its id) in under a new session id and CSRF token.

    A user object binds the session to its password hash (``[auth] session_binding``).
    ``remember=False``: the session cookie ends when the browser closes.
    """
    start_session(ctx.session, user, _credentials(ctx), remember)
    if isinstance(user, (str, int)):
        ctx.__dict__.pop(USER_KEY, None)
    else:
        ctx.__dict__[USER_KEY] = user


def logout(ctx: Context) -> None:
    """Log out: destroy the session (its data, stored copy and cookie)."""
    ctx.session.destroy()
    ctx.__dict__[USER_KEY] = None


def _from_token(credentials: Credentials, user: Any) -> Any:
    if not user:
        raise HTTPError(401, "Invalid token", credentials.challenge)
    return user


def _check_binding(session: Session, credentials: Credentials | None, user: Any) -> Any:
    """Return ``user``, or ``None`` (and forget the login) when its password changed since."""
    stored = session.get(BINDING_KEY)
    if user is None or stored is None or credentials is None:
        return user
    if isinstance(stored, str) and credentials.binds(user, stored):
        return user
    for key in (USER_ID_KEY, BINDING_KEY):
        session.pop(key, None)
    return None


def _token(ctx: Context) -> tuple[Credentials | None, str | None]:
    credentials = _credentials(ctx)
    return credentials, credentials.token_of(ctx.request) if credentials is not None else None


def _keep(ctx: Context, user: Any) -> Any:
    ctx.__dict__[USER_KEY] = user
    return user


def current_user(ctx: Context) -> Any:
    """Return this request's user (from its token or its session), loaded once, or ``None``.

    A token with an accepted scheme that the token loader refuses is a 401.
    """
    cached = ctx.__dict__.get(USER_KEY, _NOT_LOADED)
    if cached is not _NOT_LOADED:
        return cached
    credentials, token = _token(ctx)
    if credentials is not None and credentials.token_loader is not None and token is not None:
        user = _sync(_call(credentials.token_loader, token, ctx), ctx, "token")
        return _keep(ctx, _from_token(credentials, user))
    session = ctx.session
    user_id, loader = session.get(USER_ID_KEY), ctx.app.load_user
    if user_id is None or loader is None:  # no loader: the id is the user
        return _keep(ctx, user_id)
    user = _sync(_call(loader, user_id, ctx), ctx, "user")
    return _keep(ctx, _check_binding(session, credentials, user))


def _sync(user: Any, ctx: Context, kind: str) -> Any:
    """Return a loader's result; an async loader's is awaited on the loop from a worker
    thread (a sync action), and refused on the loop itself, which it would block."""
    if not inspect.isawaitable(user):
        return user
    loop = ctx.request.loop
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if loop is not None and loop.is_running():
            return asyncio.run_coroutine_threadsafe(_awaited(user), loop).result()
    close = getattr(user, "close", None)
    if close is not None:
        close()
    raise TypeError(
        f"the {kind} loader is async: await load_current_user(ctx) in async code "
        "(login_required does it for you)"
    )


async def _awaited(value: Awaitable[Any]) -> Any:
    return await value


async def _load(loader: Loader, value: Any, ctx: Context) -> Any:
    """Call a loader from the loop: an async one is awaited; a sync one (which may query a
    database) runs on the app's worker threads, so that it never stalls the loop."""
    if inspect.iscoroutinefunction(loader):
        return await _call(loader, value, ctx)
    loop = asyncio.get_running_loop()
    user = await loop.run_in_executor(ctx.app._executor, _call, loader, value, ctx)
    return await user if inspect.isawaitable(user) else user


async def load_current_user(ctx: Context) -> Any:
    """Return this request's user without blocking the loop (async loaders are awaited)."""
    cached = ctx.__dict__.get(USER_KEY, _NOT_LOADED)
    if cached is not _NOT_LOADED:
        return cached
    credentials, token = _token(ctx)
    if credentials is not None and credentials.token_loader is not None and token is not None:
        user = await _load(credentials.token_loader, token, ctx)
        return _keep(ctx, _from_token(credentials, user))
    session = await ctx.session.load()
    user_id, loader = session.get(USER_ID_KEY), ctx.app.load_user
    if user_id is None or loader is None:
        return _keep(ctx, user_id)
    user = await _load(loader, user_id, ctx)
    return _keep(ctx, _check_binding(session, credentials, user))
