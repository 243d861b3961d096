"""Read the session token from a request and write the session back to the response."""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any, Literal, cast

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from mvcpy.errors import ConfigurationError
from mvcpy.http.response import format_cookie
from mvcpy.sessions.session import Session
from mvcpy.sessions.settings import CsrfSettings, SessionSettings
from mvcpy.sessions.store import SessionStore
from mvcpy.sessions.tokens import CSRF_KEY

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor

    from mvcpy.http.request import Request
    from mvcpy.http.response import Response
    from mvcpy.orm.database import Database

__all__ = [
    "BACKENDS",
    "TRANSIENT_KEY",
    "SessionManager",
    "SessionNotSaved",
    "SessionTooLarge",
    "signing_keys",
]

BACKENDS = ("cookie", "memory", "database", "redis")
_SALT = "mvcpy.session"


class SessionTooLarge(RuntimeError):
    """The cookie session grew past the size browsers keep."""


class SessionNotSaved(RuntimeError):
    """Session changes that cannot be saved without a response to carry a cookie.

    Raised by :meth:`SessionManager.commit_to_store` (a WebSocket's ``save_session()``
    after the upgrade); the message says why: the cookie backend, a session without an
    id the client knows, a new id from ``regenerate()``, or a session ended elsewhere.
    """


#: why changes made after a WebSocket upgrade cannot be saved, by case
NOT_SAVED_COOKIE = (
    "the cookie backend keeps the session in the cookie, and no cookie can be set after "
    "the WebSocket upgrade; change the session in before() or over HTTP, or use a "
    "server-side store ([session] backend = 'redis', 'database' or 'memory')"
)
NOT_SAVED_NO_ID = (
    "the session has no id the client knows (it was new at the WebSocket upgrade, or "
    "destroy() ended it), and a new id needs a cookie, which cannot be set after the "
    "upgrade; change the session in before() or over HTTP"
)
NOT_SAVED_REGENERATED = (
    "regenerate() (or login()) gave the session a new id, and a new id needs a cookie, "
    "which cannot be set after the WebSocket upgrade; log in over HTTP or in before()"
)
NOT_SAVED_GONE = (
    "the session was destroyed or expired elsewhere during the connection (a logout "
    "over HTTP, say), and an ended session is not brought back"
)


#: A session holding this key set to ``True`` gets a cookie without ``Max-Age``, which the
#: browser drops when it closes (a login without "remember me"); the store keeps ``max_age``.
TRANSIENT_KEY = "_transient"


def signing_keys(secret_key: str, settings: SessionSettings) -> list[str]:
    """Return the signing keys, oldest first (itsdangerous signs with the last one)."""
    return [*settings.old_secret_keys, secret_key]


#: Keys a server-side session keeps in its signed cookie while they are all it holds: a
#: page that only renders a form's CSRF token writes no row to Redis or the database, so
#: crawlers and bots cannot fill the store. The first other key moves it to the store.
CLIENT_SIDE_KEYS = frozenset({CSRF_KEY})
#: How a token that carries such a session starts; signed ids never hold a dot.
_IN_COOKIE = "c."


class SessionManager:
    """The app's session settings and store, built once at startup from ``[session]``.

    With a server-side store, a session that holds nothing but its CSRF token stays in
    its signed cookie (:data:`CLIENT_SIDE_KEYS`); it gets a stored row, and an id, when
    something else is put in it.
    """

    def __init__(
        self,
        settings: SessionSettings,
        *,
        secret_key: str,
        env: str,
        csrf_field: str = CsrfSettings().field,
        store: SessionStore | None = None,
        database: Callable[[], Database] | None = None,
        executor: Callable[[], Executor | None] | None = None,
    ) -> None:
        self.backend = settings.backend
        self.cookie_name = settings.cookie_name
        self.max_age = settings.max_age
        self.path = settings.path
        self.domain: str | None = settings.domain or None
        self.httponly = settings.httponly
        self.samesite = cast(Literal["lax", "strict", "none"], settings.samesite.lower())
        #: ``True``/``False``, or ``None`` for "in prod and on HTTPS requests"
        self.secure: bool | None = None if settings.secure == "auto" else bool(settings.secure)
        if env == "prod" and self.secure is None:
            self.secure = True
        if self.samesite == "none" and self.secure is False:
            raise ConfigurationError("[session] samesite = 'None' needs secure = true")
        self.sliding = settings.sliding
        self.max_cookie_size = settings.max_cookie_size
        #: the request/response header that carries the session token instead of a cookie
        self.header = settings.header.lower() or None
        self.csrf_field = csrf_field
        keys = signing_keys(secret_key, settings)
        self._serializer = URLSafeTimedSerializer(keys, salt=_SALT)
        self._signer = Signer(keys, salt=_SALT + ".id")
        self._database = database
        self.store: SessionStore | None = store if store is not None else self._make_store(settings)
        self._executor = executor

    @property
    def executor(self) -> Executor | None:
        """The pool that runs the store's blocking calls (the app's worker threads)."""
        return self._executor() if self._executor is not None else None

    def _make_store(self, settings: SessionSettings) -> SessionStore | None:
        if self.backend == "cookie":
            return None
        if self.backend == "memory":
            from mvcpy.sessions.memory import MemoryStore

            return MemoryStore()
        if self.backend == "database":
            from mvcpy.sessions.database import DatabaseStore

            if self._database is None:
                raise ConfigurationError("[session] backend = 'database' needs the database")
            return DatabaseStore(self._database())
        from mvcpy.sessions.redis import RedisStore

        return RedisStore(settings.redis_url, settings.redis_prefix)

    # -- reading ----------------------------------------------------------------------
    def open(self, request: Request) -> Session:
        """Return a new, not yet loaded session for ``request``."""
        return Session(self, request)

    def token(self, request: Request) -> str | None:
        """Return the session token the client sent (header or cookie), if any."""
        if self.header is not None:
            return request.headers.get(self.header) or None
        return request.cookies.get(self.cookie_name) or None

    def _sid(self, token: str | None) -> str | None:
        if not token:
            return None
        try:
            return self._signer.unsign(token).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def _decode_cookie(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):  # tampered, expired or not ours
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, request: Request) -> tuple[str | None, dict[str, Any]]:
        """Return (session id, data) for ``request``; bad or expired tokens give an empty one."""
        token = self.token(request)
        store = self.store
        if store is None:
            return None, self._decode_cookie(token)
        if token is not None and token.startswith(_IN_COOKIE):  # a CSRF-only session
            return None, self._decode_cookie(token[len(_IN_COOKIE) :])
        sid = self._sid(token)
        if sid is None:
            return None, {}
        data = store.load(sid)
        # An unknown id is never adopted: the next write gets a fresh one (no fixation).
        return (sid, data) if data is not None else (None, {})

    async def load_async(self, request: Request) -> tuple[str | None, dict[str, Any]]:
        """Like :meth:`load`, running a blocking store in the worker pool."""
        store = self.store
        if store is None or not store.blocking or _in_cookie(self.token(request)):
            return self.load(request)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.load, request)

    # -- writing ----------------------------------------------------------------------
    def needs_commit(self, session: Session) -> bool:
        """Whether the response must carry or store something for ``session``."""
        return session.loaded and (session.modified or (self.sliding and bool(session.data)))

    async def commit_async(self, session: Session, response: Response) -> None:
        """Save ``session`` and set its cookie on ``response`` (before it is sent)."""
        store = self.store
        if store is not None and store.blocking and not self._stays_in_cookie(session):
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.executor, self.commit, session, response)
        else:
            self.commit(session, response)

    def commit(self, session: Session, response: Response) -> None:
        """Save ``session`` to its store and put its token on ``response``.

        A known session that was deleted (a logout elsewhere) or expired since it was
        loaded is not brought back: nothing is written, the data is emptied and the
        client's token is cleared.
        """
        request = session._request
        data = session.data
        store = self.store
        if store is None:
            if not data:
                if self.token(request) is not None:
                    self._clear(response, request)
                return
            transient = data.get(TRANSIENT_KEY) is True
            self._send(response, request, self._serializer.dumps(data), True, transient)
            return
        if session.old_sid is not None:
            store.delete(session.old_sid)
        if not data and session.sid is None:
            if session.old_sid is not None or self.token(request) is not None:
                self._clear(response, request)
            return
        if session.sid is None and data.keys() <= CLIENT_SIDE_KEYS:
            # Only a CSRF token: kept in the signed cookie, no row in the store.
            self._send(response, request, _IN_COOKIE + self._serializer.dumps(data))
            return
        if session.sid is None:  # new, regenerated or re-created after destroy
            session.sid = secrets.token_urlsafe(32)
            store.save(session.sid, data, (), self.max_age)
        elif session.modified:
            changed, deleted = self._changes(session)
            if not store.update(session.sid, changed, deleted, self.max_age):
                # Deleted (a logout in another tab) or expired since it was loaded: an
                # ended session is not brought back. As after destroy(), the client's
                # token is cleared and this request's changes are dropped.
                session.data.clear()
                self._clear(response, request)
                return
        else:  # sliding expiry
            store.touch(session.sid, self.max_age)
        if session.old_sid is not None or self.sliding or self._sid(self.token(request)) is None:
            token = self._signer.sign(session.sid).decode("ascii")
            self._send(response, request, token, transient=data.get(TRANSIENT_KEY) is True)

    @staticmethod
    def _stays_in_cookie(session: Session) -> bool:
        """Whether committing ``session`` touches no store (a CSRF-only new session)."""
        return (
            session.sid is None
            and session.old_sid is None
            and bool(session.data)
            and session.data.keys() <= CLIENT_SIDE_KEYS
        )

    @staticmethod
    def _changes(session: Session) -> tuple[dict[str, Any], frozenset[str]]:
        """Return the keys ``session`` set (with their values) and the keys it deleted.

        Server-side stores write only these, so parallel writers of one session (two
        requests, two WebSocket connections) keep each other's keys.
        """
        data = session.data
        changed = {key: data[key] for key in session.changed_keys if key in data}
        return changed, session.deleted_keys

    # -- writing without a response (a WebSocket after its upgrade) -------------------
    def has_unsaved(self, session: Session) -> bool:
        """Whether ``session`` has changes that no commit has saved yet."""
        return session.loaded and session.modified

    async def commit_to_store_async(self, session: Session) -> None:
        """Like :meth:`commit_to_store`, running a blocking store in the worker pool."""
        store = self.store
        if store is not None and store.blocking:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.executor, self.commit_to_store, session)
        else:
            self.commit_to_store(session)

    def commit_to_store(self, session: Session) -> None:
        """Save ``session``'s changes to its store when no response can carry a token.

        A WebSocket connection after its upgrade has no response left, but with a
        server-side store the client already holds the session's id, so the changed
        and deleted keys are written per key, as :meth:`commit` does. ``destroy()``
        deletes the stored copy (the client's token then finds nothing, as after a
        logout over HTTP). Once saved, later changes are tracked afresh.

        Raises :class:`SessionNotSaved` when the change would need a new token, and
        writes nothing then: the cookie backend, a session without an id the client
        knows (new; or values set after ``destroy()``, whose deletion is written
        first), a new id from ``regenerate()``, or a session that ended elsewhere
        meanwhile (it is not brought back). The changes stay unsaved. Sliding expiry
        is not renewed here: the token keeps the lifetime its last response gave it.
        """
        if not self.has_unsaved(session):
            return
        store = self.store
        if store is None:
            raise SessionNotSaved(NOT_SAVED_COOKIE)
        if session.destroyed:
            if session.old_sid is not None:
                store.delete(session.old_sid)
            session._forget_id_change()
            if session.modified:  # values set after destroy(): a new session
                raise SessionNotSaved(NOT_SAVED_NO_ID)
            return
        if session.regenerated:
            raise SessionNotSaved(NOT_SAVED_REGENERATED)
        sid = session.sid
        if sid is None:
            raise SessionNotSaved(NOT_SAVED_NO_ID)
        changed, deleted = self._changes(session)  # per key, as commit() saves
        if not store.update(sid, changed, deleted, self.max_age):
            # logged out or expired while the connection lived: nothing was written
            raise SessionNotSaved(NOT_SAVED_GONE)
        session._mark_saved(changed, deleted)

    def _secure(self, request: Request) -> bool:
        return self.secure if self.secure is not None else request.scheme == "https"

    def _send(
        self,
        response: Response,
        request: Request,
        token: str,
        check_size: bool = False,
        transient: bool = False,
    ) -> None:
        if self.header is not None:
            response.set_header(self.header, token)
            return
        cookie = format_cookie(
            self.cookie_name,
            token,
            None if transient else self.max_age,  # no Max-Age: ends with the browser
            None,
            self.path,
            self.domain,
            self._secure(request),
            self.httponly,
            self.samesite,
        )
        if check_size and len(cookie) > self.max_cookie_size:
            raise SessionTooLarge(
                f"the session cookie is {len(cookie)} bytes, over the {self.max_cookie_size}-byte "
                "limit browsers keep; store less in the session or use a server-side store "
                "([session] backend = 'redis' or 'database')"
            )
        response.add_header("set-cookie", cookie)

    def _clear(self, response: Response, request: Request) -> None:
        if self.header is not None:
            response.set_header(self.header, "")
            return
        response.delete_cookie(
            self.cookie_name, self.path, self.domain, secure=self._secure(request)
        )

    def close(self) -> None:
        """Release the store's connections."""
        if self.store is not None:
            self.store.close()


def _in_cookie(token: str | None) -> bool:
    """Whether ``token`` carries a CSRF-only session itself (no store lookup)."""
    return token is not None and token.startswith(_IN_COOKIE)
