"""Log users in and out, load the current user, guard routes, hash passwords, sign tokens.

Build on sessions (``[session] enabled = true``): ``login(ctx, user_id)`` regenerates
the session and remembers the id; ``app.user_loader(fn)`` turns it into a user once per
request; ``login_required`` and ``require(predicate)`` are filters.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import Field

from mvcpy.components import Component, Setup
from mvcpy.config.section import Section, StrList
from mvcpy.errors import HTTPError
from mvcpy.filters._answer import answer_error
from mvcpy.http.response import RedirectResponse
from mvcpy.redirects import is_safe_url, unsafe_reason
from mvcpy.sessions.csrf import CSRF_KEY
from mvcpy.sessions.manager import signing_keys
from mvcpy.sessions.settings import SessionSettings

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.http.request import Request
    from mvcpy.http.response import Response

__all__ = [
    "USER_ID_KEY",
    "AuthComponent",
    "AuthSettings",
    "JWTSigner",
    "LoginRequired",
    "Require",
    "TokenSigner",
    "current_user",
    "hash_password",
    "is_safe_url",
    "load_current_user",
    "login",
    "login_required",
    "logout",
    "password_needs_rehash",
    "require",
    "safe_next",
    "verify_password",
]

#: the session key that holds the logged-in user's id
USER_ID_KEY = "_user_id"
_USER_CACHE = "_mvcpy_current_user"
_NOT_LOADED: Any = object()

# Argon2id with the library's RFC 9106 defaults: memory-hard, maintained, constant-time.
_hasher = PasswordHasher()


# -- passwords ------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """Hash ``password`` with Argon2id (a fresh salt each time)."""
    return _hasher.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Check ``password`` against ``hashed`` in constant time; a malformed hash is ``False``."""
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made with weaker parameters than today's (rehash at login)."""
    return _hasher.check_needs_rehash(hashed)


# -- login state ----------------------------------------------------------------------
def login(ctx: Context, user_id: Any) -> None:
    """Log ``user_id`` in: a new session id (no fixation) and CSRF token, remembering the user."""
    session = ctx.session
    session.regenerate()
    session.pop(CSRF_KEY, None)  # a token seen before login is not valid after it
    session[USER_ID_KEY] = user_id
    ctx.__dict__.pop(_USER_CACHE, None)


def logout(ctx: Context) -> None:
    """Log out: destroy the session (its data, stored copy and cookie)."""
    ctx.session.destroy()
    ctx.__dict__[_USER_CACHE] = None


def _loader(ctx: Context) -> Callable[[Any], Any] | None:
    return ctx.app.load_user


def current_user(ctx: Context) -> Any:
    """Return the logged-in user (``app.user_loader``), loaded once per request, or ``None``."""
    cached = ctx.__dict__.get(_USER_CACHE, _NOT_LOADED)
    if cached is not _NOT_LOADED:
        return cached
    user_id = ctx.session.get(USER_ID_KEY)
    loader = _loader(ctx)
    if user_id is None:
        user = None
    elif loader is None:
        user = user_id  # no loader registered: the id is the user
    else:
        user = loader(user_id)
        if inspect.isawaitable(user):
            raise TypeError(
                "the user loader is async: await load_current_user(ctx) in async code "
                "(login_required does it for you)"
            )
    ctx.__dict__[_USER_CACHE] = user
    return user


async def load_current_user(ctx: Context) -> Any:
    """Return the logged-in user without blocking the loop (async loaders are awaited)."""
    cached = ctx.__dict__.get(_USER_CACHE, _NOT_LOADED)
    if cached is not _NOT_LOADED:
        return cached
    session = await ctx.session.load()
    user_id = session.get(USER_ID_KEY)
    loader = _loader(ctx)
    if user_id is None:
        user = None
    elif loader is None:
        user = user_id
    else:
        user = loader(user_id)
        if inspect.isawaitable(user):
            user = await user
    ctx.__dict__[_USER_CACHE] = user
    return user


class AuthSettings(Section):
    """``[auth]``: where logins happen and where redirects may go (docs/security.md)."""

    #: the route name (or path) ``login_required`` sends HTML clients to
    login_route: str = "login"
    #: other hosts that ``next=`` and ``check_redirect`` may send users to
    redirect_hosts: StrList = Field(default_factory=list)


class AuthComponent(Component):
    """Declare ``[auth]``, and give templates ``current_user`` when sessions are on.

    ``current_user`` is loaded (``app.user_loader``) only when a template uses it.
    """

    name = "auth"
    sections = {"auth": AuthSettings}

    def install(self, setup: Setup) -> None:
        """Make ``current_user`` a lazy template value."""
        if setup.settings(SessionSettings).enabled:
            setup.template_value("current_user", current_user)


def _redirect_hosts(app: Application) -> tuple[str, ...]:
    return tuple(h.lower() for h in app.config.section_of(AuthSettings).redirect_hosts)


def safe_next(ctx: Context, default: str = "/") -> str:
    """Return the ``next`` query or form value when it is a safe target (mvcpy.redirects),
    else ``default``; a page to send a user back to after logging in."""
    target = ctx.request.query.get("next") or ""
    if not target:
        form = ctx.request._form
        value = form.get("next") if form is not None else None
        target = value if isinstance(value, str) else ""
    if target and is_safe_url(target, ctx.request.host, _redirect_hosts(ctx.app)):
        return target
    return default


def check_redirect(ctx: Context, url: str) -> None:
    """Raise 400, saying why, when ``url`` is no safe redirect target (mvcpy.redirects):
    another host that ``[auth] redirect_hosts`` lacks, another scheme, ``//host``..."""
    reason = unsafe_reason(url, ctx.request.host, _redirect_hosts(ctx.app))
    if reason is not None:
        raise HTTPError(400, f"Refusing to redirect: {reason}")


# -- filters --------------------------------------------------------------------------
def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return False
    return "json" in accept or request.content_type == "application/json"


class LoginRequired:
    """Let logged-in users through; others get a redirect to the login page or a 401.

    HTML clients are sent to ``login`` (a route name or a path) with ``next=`` set to
    the page they asked for; JSON clients get 401.
    """

    __slots__ = ("login",)

    def __init__(self, login: str | None = None) -> None:
        #: the login route name or path; ``None`` follows ``[auth] login_route``
        self.login = login

    def bind(self, app: Application) -> None:
        """Resolve the login route from the configuration (at startup)."""
        if self.login is None:
            self.login = app.config.section_of(AuthSettings).login_route

    def refuse(self, ctx: Context) -> Awaitable[Response] | Response:
        """Answer a request that is not logged in."""
        request = ctx.request
        if _wants_json(request):
            return answer_error(ctx, HTTPError(401, "login required"))
        target = self.login or "login"
        url = target if "/" in target else ctx.url_for(target)
        here = request.path + (f"?{request.query_string}" if request.query_string else "")
        return RedirectResponse(f"{url}?next={quote(here, safe='/')}", 302)

    async def __call__(
        self, ctx: Context, call_next: Callable[[Context], Awaitable[Response]]
    ) -> Response:
        if await load_current_user(ctx) is None:
            refused = self.refuse(ctx)
            return await refused if inspect.isawaitable(refused) else refused
        return await call_next(ctx)


class Require(LoginRequired):
    """Let through users for whom ``predicate(user)`` is true; others get 403."""

    __slots__ = ("predicate",)

    def __init__(self, predicate: Callable[[Any], bool], login: str | None = None) -> None:
        super().__init__(login)
        self.predicate = predicate

    async def __call__(
        self, ctx: Context, call_next: Callable[[Context], Awaitable[Response]]
    ) -> Response:
        user = await load_current_user(ctx)
        if user is None:
            refused = self.refuse(ctx)
            return await refused if inspect.isawaitable(refused) else refused
        if not self.predicate(user):
            return await answer_error(ctx, HTTPError(403, "not allowed"))
        return await call_next(ctx)


#: the filter with the default login route (``[auth] login_route``)
login_required = LoginRequired()


def require(predicate: Callable[[Any], bool], login: str | None = None) -> Require:
    """Return a filter that lets through users for whom ``predicate(user)`` is true."""
    return Require(predicate, login)


# -- bearer tokens --------------------------------------------------------------------
class TokenSigner:
    """Issue and check signed, expiring bearer tokens (itsdangerous, the app's secret).

    Use it with the ``BearerAuth`` filter: ``BearerAuth(check=signer.verify)``.
    """

    def __init__(self, secret_key: str | list[str], max_age: int = 3600, salt: str = "") -> None:
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret_key, salt=salt or "mvcpy.token")

    @classmethod
    def for_app(cls, app: Application, max_age: int = 3600, salt: str = "") -> TokenSigner:
        """Return a signer keyed with the app's secret (and its old keys, for rotation)."""
        return cls(signing_keys(app.secret_key, _session_settings(app)), max_age, salt)

    def issue(self, subject: Any) -> str:
        """Return a token carrying ``subject`` (JSON-serialisable, e.g. a user id)."""
        return self._serializer.dumps(subject)

    def verify(self, token: str) -> Any:
        """Return the token's subject, or ``None`` when forged, changed or expired."""
        try:
            return self._serializer.loads(token, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None


class JWTSigner:
    """Issue and check JSON Web Tokens (PyJWT, HMAC by default): ``pip install 'mvcpy-web[jwt]'``.

    Same interface as :class:`TokenSigner`; the subject travels in a ``data`` claim beside
    ``iat`` and ``exp`` (and ``iss``/``aud`` when given). Tokens signed with one of
    ``old_keys`` are still accepted.
    """

    def __init__(
        self,
        secret_key: str,
        max_age: int = 3600,
        algorithm: str = "HS256",
        *,
        old_keys: list[str] | tuple[str, ...] = (),
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        try:
            import jwt
        except ImportError as exc:  # pragma: no cover - installed in development
            raise ImportError("JWTSigner needs PyJWT: pip install 'mvcpy-web[jwt]'") from exc
        self._jwt = jwt
        self.max_age = max_age
        self.algorithm = algorithm
        self.keys = (secret_key, *old_keys)
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def for_app(cls, app: Application, max_age: int = 3600, **options: Any) -> JWTSigner:
        """Return a signer keyed with the app's secret (and its old keys, for rotation)."""
        old = tuple(_session_settings(app).old_secret_keys)
        return cls(app.secret_key, max_age, old_keys=old, **options)

    def issue(self, subject: Any) -> str:
        """Return a JWT carrying ``subject`` (JSON-serialisable), expiring after ``max_age``."""
        now = int(time.time())
        claims: dict[str, Any] = {"data": subject, "iat": now, "exp": now + self.max_age}
        if self.issuer is not None:
            claims["iss"] = self.issuer
        if self.audience is not None:
            claims["aud"] = self.audience
        return str(self._jwt.encode(claims, self.keys[0], algorithm=self.algorithm))

    def verify(self, token: str) -> Any:
        """Return the token's subject, or ``None`` when forged, changed, expired or foreign."""
        for key in self.keys:
            try:
                claims = self._jwt.decode(
                    token,
                    key,
                    algorithms=[self.algorithm],
                    options={"require": ["exp", "iat"]},
                    issuer=self.issuer,
                    audience=self.audience,
                )
            except self._jwt.InvalidSignatureError:
                continue  # maybe an older key
            except self._jwt.InvalidTokenError:
                return None
            return claims.get("data")
        return None


def _session_settings(app: Application) -> SessionSettings:
    return app.config.section_of(SessionSettings)
