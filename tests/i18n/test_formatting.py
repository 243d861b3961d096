"""Dates, times, numbers and money in the request's locale and the configured time zone."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from pathlib import Path

from mvcpy import App, Context
from mvcpy.testing import TestClient

NNBSP, NBSP = "\u202f", "\xa0"  # CLDR's narrow and plain no-break spaces

#: 17:30 UTC is 18:30 in Paris (winter) and 12:30 in New York
MOMENT = dt.datetime(2026, 12, 4, 17, 30, tzinfo=dt.UTC)


def test_filters_format_in_the_locale_and_time_zone(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app(i18n={"locales": ["en", "fr"], "url_prefix": True, "timezone": "Europe/Paris"})
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "formats.html").write_text(
        "{{ moment | format_date }}|{{ moment | format_datetime('short') }}|"
        "{{ moment | format_time('short', tzinfo='America/New_York') }}|"
        "{{ naive | format_datetime('short') }}|{{ day | format_date('long') }}|"
        "{{ 1234567.5 | format_number }}|{{ price | format_decimal('#,##0.00') }}|"
        "{{ price | format_currency('EUR') }}|{{ 0.25 | format_percent }}|"
        "{{ ago | format_timedelta(add_direction=True) }}|{{ format_number(42000) }}"
    )

    def page(ctx: Context) -> str:
        data = {
            "moment": MOMENT,
            "naive": dt.datetime(2026, 7, 1, 12, 0),  # naive means UTC: 14:00 in Paris
            "day": dt.date(2026, 1, 5),
            "price": decimal.Decimal("1234.5"),
            "ago": dt.timedelta(hours=-2),
        }
        return app.templates.render("formats.html", data, ctx)

    app.route("/formats", page, name="formats")
    with TestClient(app) as client:
        english = client.get("/en/formats").text.split("|")
        french = client.get("/fr/formats").text.split("|")
    assert english == [
        "Dec 4, 2026",
        f"12/4/26, 6:30{NNBSP}PM",
        f"12:30{NNBSP}PM",
        f"7/1/26, 2:00{NNBSP}PM",
        "January 5, 2026",
        "1,234,567.5",
        "1,234.50",
        "€1,234.50",
        "25%",
        "2 hours ago",
        "42,000",
    ]
    assert french == [
        "4 déc. 2026",
        "04/12/2026 18:30",
        "12:30",
        "01/07/2026 14:00",
        "5 janvier 2026",
        f"1{NNBSP}234{NNBSP}567,5",
        f"1{NNBSP}234,50",
        f"1{NNBSP}234,50{NBSP}€",
        f"25{NBSP}%",
        "il y a 2 heures",
        f"42{NNBSP}000",
    ]


def test_python_code_formats_in_the_active_locale(make_app: Callable[..., App]) -> None:
    from mvcpy.i18n import format_currency, format_date

    app = make_app(i18n={"locales": ["en", "de"]})
    assert format_date(dt.date(2026, 1, 5)) == "Jan 5, 2026"
    with app.services["i18n"].activate("de"):
        assert format_date(dt.date(2026, 1, 5)) == "05.01.2026"
        assert format_currency(3, "USD") == f"3,00{NBSP}$"
