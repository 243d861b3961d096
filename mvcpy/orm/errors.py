"""The default answer to a constraint violation: 409 Conflict, transaction rolled back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.error_handling import render_default_error

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.http.response import Response

__all__ = ["CONFLICT_MESSAGE", "integrity_error_handler"]

CONFLICT_MESSAGE = "The change conflicts with existing data (a unique or related record)"


def integrity_error_handler(ctx: Context, exc: BaseException) -> Response:
    """Answer an ``IntegrityError`` with 409; replace it with ``app.error_handler``."""
    return render_default_error(ctx, 409, CONFLICT_MESSAGE)
