"""The test client's view of its session: read it, change it, log a user in, see flashes.

It decodes and saves the session the way the app does (``app.sessions``: cookie, memory,
database or Redis backend) and keeps the client's cookie in step, so a test can start
logged in without posting a login form (``client.login_as(user)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from mvcpy.http.request import Request
from mvcpy.http.response import Response
from mvcpy.sessions.flash import FLASH_KEY
from mvcpy.sessions.session import Session

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["ClientSession"]


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


class ClientSession:
    """The session of one test client, as the app sees it."""

    def __init__(self, app: App, client: httpx.Client) -> None:
        self.app = app
        self.client = client

    def _manager(self) -> Any:
        manager = self.app.sessions
        if manager is None:
            raise RuntimeError(
                "sessions are off, or the client has not started: use `with TestClient(app)`"
            )
        if manager.header is not None:
            raise RuntimeError(
                f"the session travels in the {manager.header!r} header, not a cookie: "
                "send it yourself"
            )
        return manager

    def _request(self) -> Request:
        url = urlsplit(str(self.client.base_url))
        cookies = "; ".join(f"{name}={value}" for name, value in self.client.cookies.items())
        headers = [(b"host", url.netloc.encode())]
        if cookies:
            headers.append((b"cookie", cookies.encode()))
        scope = {
            "type": "http", "method": "GET", "path": "/", "raw_path": b"/",
            "query_string": b"", "headers": headers, "scheme": url.scheme or "http",
            "server": (url.hostname or "testserver", url.port or 80), "client": None,
            "root_path": "",
        }  # fmt: skip
        return Request(scope, _no_body)

    def data(self) -> dict[str, Any]:
        """A copy of the session's data (empty when there is none)."""
        manager = self._manager()
        return dict(Session(manager, self._request()).data)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield the session to change; it is saved, and the cookie updated, at the end."""
        manager = self._manager()
        request = self._request()
        session = Session(manager, request)
        session.data  # noqa: B018 - load it now, as a request would
        yield session
        response = Response(b"")
        manager.commit(session, response)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
        echo = httpx.Response(
            200, headers=headers, request=httpx.Request("GET", self.client.base_url)
        )
        self.client.cookies.extract_cookies(echo)

    def login_as(self, user: Any, *, remember: bool = True) -> None:
        """Log ``user`` (an object with ``id``, or an id) in, as ``login`` would."""
        from mvcpy.auth.identity import start_session

        with self.transaction() as session:
            start_session(session, user, self.app.services.get("auth"), remember)

    def flashes(self) -> list[tuple[str, str]]:
        """The flash messages waiting for the next page, as ``(category, message)``."""
        return [(str(c), str(m)) for c, m in self.data().get(FLASH_KEY) or ()]
