"""Password hashing: Argon2id through argon2-cffi, with rehashing when parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["hash_password", "password_needs_rehash", "verify_password"]

# Argon2id with the library's RFC 9106 defaults: memory-hard, maintained, constant-time.
_hasher = PasswordHasher()

# A hash of a password nobody has: checked when no user matches, so that a login with an
# unknown email costs what a wrong password costs (no timing oracle for registered emails).
_DUMMY_HASH = _hasher.hash("mvcpy: no such user")


def hash_password(password: str) -> str:
    """Hash ``password`` with Argon2id (a fresh salt each time)."""
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Check ``password`` against ``hashed`` in constant time; a malformed hash is ``False``.

    ``hashed=None`` (no such user) checks against a dummy hash and returns ``False``, so
    the answer takes as long as for a user whose password is wrong.
    """
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made with weaker parameters than today's (rehash at login)."""
    return _hasher.check_needs_rehash(hashed)
