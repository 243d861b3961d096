"""Method override: HTML forms send PUT, PATCH and DELETE as a POST carrying ``_method``.

Browsers submit forms only with GET and POST. A form for ``app.resource``'s ``update``
or ``destroy`` posts a hidden ``<input type="hidden" name="_method" value="DELETE">``
(Rails, Laravel and Beego use the same field); :class:`MethodOverride` routes such a
POST as the named method. It is an ASGI middleware because the method must change
before routing: ``app.add_middleware(MethodOverride)``.

Only POST is overridden, and only to PUT, PATCH or DELETE, so a link (GET) can never
delete anything and CSRF protection sees the overridden method as unsafe, as it is. A
``_method`` naming anything else (``TRACE``, bytes that are no method) is a 400, answered
by the app (its error pages and access log: ``REFUSED_KEY``), never a 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from mvcpy.types import REFUSED_KEY, ASGIApp, Message, Receive, Scope, Send

__all__ = ["OVERRIDABLE", "MethodOverride"]

#: The methods a POST may become.
OVERRIDABLE = frozenset({"PUT", "PATCH", "DELETE"})
_FORM = b"application/x-www-form-urlencoded"


class MethodOverride:
    """Route a POST as the PUT, PATCH or DELETE named by its ``_method`` form field.

    The field is read from the query string, or from an urlencoded body of at most
    ``max_body_size`` bytes: a body that declares more (``Content-Length``) is not read
    at all, and one that turns out longer is passed on as it is, for the app's own limit
    to answer with 413. The body is replayed to the app as it arrived. Multipart forms
    put ``?_method=PUT`` in their ``action`` URL instead.
    """

    __slots__ = ("app", "field", "max_body_size")

    def __init__(self, app: ASGIApp, field: str = "_method", max_body_size: int = 1 << 20) -> None:
        self.app = app
        self.field = field.encode("latin-1")
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        value = self._field(scope.get("query_string", b""))
        if value is None and _content_type(scope) == _FORM and self._may_read(scope):
            messages, body = await self._read(receive)
            if body is not None:
                value = self._field(body)
            receive = _replay(messages, receive)
        if value:  # an empty field is no override
            method = value.decode("latin-1").upper()
            # A copy: the server's scope keeps the method that was sent.
            if method in OVERRIDABLE:
                scope = {**scope, "method": method}
            elif method != "POST":
                shown = value.decode("ascii", "backslashreplace")[:20]
                reason = f"_method must be PUT, PATCH or DELETE, not {shown!r}"
                scope = {**scope, REFUSED_KEY: (400, reason)}
        await self.app(scope, receive, send)

    def _field(self, data: bytes) -> bytes | None:
        """The (unquoted) value of the field in urlencoded ``data``, or None."""
        if self.field not in data:  # PERF: most bodies never mention the field
            return None
        for pair in data.split(b"&"):
            key, _, value = pair.partition(b"=")
            if unquote_to_bytes(key.replace(b"+", b" ")) == self.field:
                return unquote_to_bytes(value.replace(b"+", b" "))
        return None

    def _may_read(self, scope: Scope) -> bool:
        """Whether the body is worth reading: not when it declares more than the limit."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value) <= self.max_body_size
                except ValueError:
                    return False  # the app answers 400
        return True

    async def _read(self, receive: Receive) -> tuple[list[Message], bytes | None]:
        """Read the body up to the limit: the messages, and the body when it was complete."""
        messages: list[Message] = []
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages, None  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                return messages, None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return messages, b"".join(chunks)


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower()
    return b""


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """Return a receive that gives ``messages`` first, then reads on from ``receive``."""
    pending = list(messages)

    async def replay() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
