"""The framework's own words that reach users, marked for mvcpy's catalogs.

Validation errors are written here by pydantic error type, so that a form shows them in
the visitor's language; HTTP reason phrases are listed so that error pages are translated.
Everything is English as written until the i18n component makes a locale active.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mvcpy.translation import N_, gettext, ngettext

__all__ = ["REASON_PHRASES", "validation_message"]


def _count(ctx: Mapping[str, Any], key: str) -> int:
    count = ctx[key]
    return count if isinstance(count, int) else 2


def _text(message: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda ctx: gettext(message, **ctx)


_VALIDATION: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": _text(N_("Field required")),
    "string_type": _text(N_("Input should be a valid string")),
    "string_too_short": lambda ctx: ngettext(
        "String should have at least %(num)s character",
        "String should have at least %(num)s characters",
        _count(ctx, "min_length"),
    ),
    "string_too_long": lambda ctx: ngettext(
        "String should have at most %(num)s character",
        "String should have at most %(num)s characters",
        _count(ctx, "max_length"),
    ),
    "too_short": lambda ctx: ngettext(
        "Should have at least %(num)s item",
        "Should have at least %(num)s items",
        _count(ctx, "min_length"),
    ),
    "too_long": lambda ctx: ngettext(
        "Should have at most %(num)s item",
        "Should have at most %(num)s items",
        _count(ctx, "max_length"),
    ),
    "string_pattern_mismatch": _text(N_("String should match pattern '%(pattern)s'")),
    "int_type": _text(N_("Input should be a valid integer")),
    "int_parsing": _text(N_("Input should be a valid integer")),
    "int_from_float": _text(N_("Input should be a whole number")),
    "float_type": _text(N_("Input should be a valid number")),
    "float_parsing": _text(N_("Input should be a valid number")),
    "decimal_parsing": _text(N_("Input should be a valid decimal")),
    "bool_type": _text(N_("Input should be a valid boolean")),
    "bool_parsing": _text(N_("Input should be a valid boolean")),
    "date_type": _text(N_("Input should be a valid date")),
    "date_parsing": _text(N_("Input should be a valid date")),
    "date_from_datetime_parsing": _text(N_("Input should be a valid date")),
    "date_from_datetime_inexact": _text(N_("Input should be a valid date")),
    "datetime_type": _text(N_("Input should be a valid date and time")),
    "datetime_parsing": _text(N_("Input should be a valid date and time")),
    "datetime_from_date_parsing": _text(N_("Input should be a valid date and time")),
    "time_type": _text(N_("Input should be a valid time")),
    "time_parsing": _text(N_("Input should be a valid time")),
    "uuid_parsing": _text(N_("Input should be a valid UUID")),
    "url_parsing": _text(N_("Input should be a valid URL")),
    "greater_than": _text(N_("Input should be greater than %(gt)s")),
    "greater_than_equal": _text(N_("Input should be greater than or equal to %(ge)s")),
    "less_than": _text(N_("Input should be less than %(lt)s")),
    "less_than_equal": _text(N_("Input should be less than or equal to %(le)s")),
    "multiple_of": _text(N_("Input should be a multiple of %(multiple_of)s")),
    "literal_error": _text(N_("Input should be %(expected)s")),
    "enum": _text(N_("Input should be %(expected)s")),
}


def validation_message(error_type: str, ctx: Mapping[str, Any] | None, default: str) -> str:
    """The message of a pydantic error of ``error_type``, in the current locale; ``default``
    (pydantic's own text) for a type mvcpy has no words for."""
    message = _VALIDATION.get(error_type)
    if message is None:
        return default
    try:
        return message(ctx or {})
    except (KeyError, TypeError, ValueError):  # a context this version of pydantic lacks
        return default


#: HTTP reason phrases, so that error pages speak the visitor's language
REASON_PHRASES = (
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Not Acceptable"),
    N_("Request Timeout"),
    N_("Conflict"),
    N_("Gone"),
    N_("Content Too Large"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Content"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
    N_("Error"),
)
