"""Dates, times, numbers and money in the current locale, through Babel.

Each function takes the value and Babel's ``format`` (``short``, ``medium``, ``long``,
``full`` or a pattern); datetimes are shown in the ``[i18n] timezone`` unless ``tzinfo``
says otherwise, and naive datetimes are taken as UTC. The same functions are template
filters: ``{{ post.created_at | format_datetime("short") }}``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from typing import Any, Literal

from mvcpy.translation import active_locale

__all__ = [
    "FORMATTERS",
    "format_currency",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_number",
    "format_percent",
    "format_time",
    "format_timedelta",
    "set_default_timezone",
]

Number = int | float | decimal.Decimal
# Babel is imported on the first call: an app that formats nothing never loads its data.

_zone: list[dt.tzinfo] = [dt.UTC]


def set_default_timezone(name: str) -> None:
    """Show datetimes in the time zone ``name`` unless a call says otherwise."""
    _zone[0] = zoneinfo.ZoneInfo(name)


def _in_zone(value: dt.datetime, tzinfo: dt.tzinfo | str | None) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(tzinfo) if isinstance(tzinfo, str) else tzinfo or _zone[0]
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone)


def format_date(value: dt.date, format: str = "medium") -> str:
    """``4 déc. 2026`` / ``Dec 4, 2026``; a datetime is shown as its date in the time zone."""
    from babel import dates

    if isinstance(value, dt.datetime):
        value = _in_zone(value, None).date()
    return dates.format_date(value, format, locale=active_locale())


def format_datetime(
    value: dt.datetime, format: str = "medium", tzinfo: dt.tzinfo | str | None = None
) -> str:
    """The date and time of ``value`` in the time zone (``[i18n] timezone`` or ``tzinfo``)."""
    from babel import dates

    return dates.format_datetime(_in_zone(value, tzinfo), format, locale=active_locale())


def format_time(
    value: dt.time | dt.datetime, format: str = "medium", tzinfo: dt.tzinfo | str | None = None
) -> str:
    """The time of day (a datetime is moved to the time zone first)."""
    from babel import dates

    if isinstance(value, dt.datetime):
        value = _in_zone(value, tzinfo)
    return dates.format_time(value, format, locale=active_locale())


def format_timedelta(
    value: dt.timedelta | int,
    granularity: Literal["year", "month", "week", "day", "hour", "minute", "second"] = "second",
    add_direction: bool = False,
) -> str:
    """``3 days``, ``in 2 hours`` (``add_direction=True``), in words of the locale."""
    from babel import dates

    return dates.format_timedelta(
        value, granularity=granularity, add_direction=add_direction, locale=active_locale()
    )


def format_number(value: Number) -> str:
    """``1,234,567`` / ``1 234 567``: grouped digits in the locale's way."""
    from babel import numbers

    return numbers.format_decimal(value, locale=active_locale())


def format_decimal(value: Number, format: str | None = None) -> str:
    """A decimal number, with a Babel pattern (``#,##0.00``) when given."""
    from babel import numbers

    return numbers.format_decimal(value, format, locale=active_locale())


def format_currency(value: Number, currency: str, format: str | None = None) -> str:
    """``€1,234.50`` / ``1 234,50 €``: an amount in ``currency`` (an ISO 4217 code)."""
    from babel import numbers

    return numbers.format_currency(value, currency, format, locale=active_locale())


def format_percent(value: Number, format: str | None = None) -> str:
    """``25%`` / ``25 %`` for ``0.25``."""
    from babel import numbers

    return numbers.format_percent(value, format, locale=active_locale())


#: the template filters the i18n component installs, by name
FORMATTERS: dict[str, Any] = {
    "format_date": format_date,
    "format_datetime": format_datetime,
    "format_time": format_time,
    "format_timedelta": format_timedelta,
    "format_number": format_number,
    "format_decimal": format_decimal,
    "format_currency": format_currency,
    "format_percent": format_percent,
}
