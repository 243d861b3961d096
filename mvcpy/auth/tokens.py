"""Signed tokens: bearer tokens (itsdangerous or JWT) and single-use links bound to a state.

:class:`LinkTokens` makes the links of account mail (confirm an email, reset a password):
signed, expiring, and bound to a digest of the user's state (the password hash, the
email), so that a link dies as soon as it has been used or the state has changed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from mvcpy.sessions.manager import signing_keys
from mvcpy.sessions.settings import SessionSettings

if TYPE_CHECKING:
    from mvcpy.application import Application

__all__ = ["JWTSigner", "LinkClaim", "LinkTokens", "TokenSigner"]


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


@dataclass(frozen=True)
class LinkClaim:
    """What a valid link carries: the user's id, its state's digest, any extra value."""

    user_id: Any
    state: str
    extra: Any = None

    def matches(self, state: str) -> bool:
        """Whether the user's state now is the one the link was made for (constant time)."""
        return hmac.compare_digest(self.state, _digest(state))


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:32]


class LinkTokens:
    """Issue and check the tokens of single-use, expiring links, one salt per purpose."""

    def __init__(self, secret_key: str | list[str]) -> None:
        self._keys = secret_key

    @classmethod
    def for_app(cls, app: Application) -> LinkTokens:
        """Return link tokens keyed with the app's secret (and its old keys)."""
        return cls(signing_keys(app.secret_key, _session_settings(app)))

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._keys, salt=f"mvcpy.link.{purpose}")

    def issue(self, purpose: str, user_id: Any, state: str, extra: Any = None) -> str:
        """Return a token for ``purpose`` bound to ``user_id`` and ``state`` (a string that
        changes once the link has done its job: the password hash, the email)."""
        return self._serializer(purpose).dumps([user_id, _digest(state), extra])

    def verify(self, purpose: str, token: str, max_age: int) -> LinkClaim | None:
        """Return the claim of a genuine token for ``purpose`` younger than ``max_age``
        seconds, else ``None``; then check ``claim.matches(current state)``."""
        try:
            user_id, state, extra = self._serializer(purpose).loads(token, max_age=max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(state, str):
            return None
        return LinkClaim(user_id, state, extra)
