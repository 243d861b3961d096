"""User sessions (signed cookie, memory or Redis stores), flash messages and CSRF tokens."""

from mvcpy.sessions.csrf import CSRFProtect, csrf_exempt, csrf_input, csrf_token
from mvcpy.sessions.flash import flash, get_flashed_messages
from mvcpy.sessions.manager import BACKENDS, SessionManager, SessionNotSaved, SessionTooLarge
from mvcpy.sessions.memory import MemoryStore
from mvcpy.sessions.session import Session
from mvcpy.sessions.store import SessionStore

__all__ = [
    "BACKENDS",
    "CSRFProtect",
    "MemoryStore",
    "Session",
    "SessionManager",
    "SessionNotSaved",
    "SessionStore",
    "SessionTooLarge",
    "csrf_exempt",
    "csrf_input",
    "csrf_token",
    "flash",
    "get_flashed_messages",
]
