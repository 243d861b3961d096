"""Errors: the one HTTP exception base, ``abort``, and configuration mistakes."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import NoReturn

__all__ = ["ClientDisconnected", "ConfigurationError", "HTTPError", "abort"]


class ConfigurationError(Exception):
    """A mistake in how the app is set up; raised at startup, never per request."""


class ClientDisconnected(Exception):
    """The client went away before the request body was read; nothing is answered."""


class HTTPError(Exception):
    """An HTTP error answered to the client with ``status`` and a short ``message``.

    Raise it (or call :func:`abort`) anywhere in a filter, controller or handler.
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message if message is not None else _reason(status)
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(status, self.message)

    def __repr__(self) -> str:
        return f"HTTPError({self.status}, {self.message!r})"


def abort(
    status: int, message: str | None = None, headers: Mapping[str, str] | None = None
) -> NoReturn:
    """Stop the request and answer ``status`` with ``message``."""
    raise HTTPError(status, message, headers)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
