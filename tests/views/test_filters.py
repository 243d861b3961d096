"""Beego's template functions as filters."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from markupsafe import Markup

from mvcpy.views.filters import (
    dateformat,
    go_layout_to_strftime,
    html2str,
    map_get,
    str2html,
    substr,
)

MOMENT = datetime(2024, 3, 7, 15, 4, 5, 123456)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006-01-02 15:04:05", "2024-03-07 15:04:05"),
        ("02/01/06", "07/03/24"),
        ("Mon, 02 Jan 2006", "Thu, 07 Mar 2024"),
        ("Monday January 2006 03:04PM", "Thursday March 2024 03:04PM"),
        ("15:04:05.000", "15:04:05.123"),
        ("%Y/%m/%d", "2024/03/07"),
    ],
)
def test_dateformat_takes_go_layouts_and_strftime(layout: str, expected: str) -> None:
    assert dateformat(MOMENT, layout) == expected


def test_dateformat_defaults_and_none() -> None:
    assert dateformat(MOMENT) == "2024-03-07 15:04:05"
    assert dateformat(date(2024, 1, 2), "2006-01-02") == "2024-01-02"
    assert dateformat(None) == ""
    assert go_layout_to_strftime("2006-01-02") == "%Y-%m-%d"


def test_substr_clamps_like_beego() -> None:
    assert substr("héllo world", 0, 5) == "héllo"
    assert substr("hello", 3, 10) == "lo"
    assert substr("hello", 10, 2) == ""
    assert substr("hello", -3, 2) == "he"
    assert substr(12345, 1, 2) == "23"


def test_html2str_strips_tags_scripts_and_entities() -> None:
    html = "<p>Tom &amp; <b>Jerry</b></p>\n<script>alert(1)</script><style>p{}</style><p>end</p>"
    assert html2str(html) == "Tom & Jerry end"


def test_str2html_marks_safe() -> None:
    value = str2html("<b>x</b>")
    assert isinstance(value, Markup) and str(value) == "<b>x</b>"


def test_map_get_walks_nested_mappings() -> None:
    data = {"a": {"b": {"c": 1}}, "1": "one"}
    assert map_get(data, "a", "b", "c") == 1
    assert map_get(data, "a", "x", "c") is None
    assert map_get(data, "a", "b", "c", "d") is None
    assert map_get(data, 1) == "one"


def test_filters_in_templates(make_app, views) -> None:
    views(
        "f.html",
        "{{ when | dateformat('2006-01-02') }}|{{ 'abcdef' | substr(1, 3) }}|"
        "{{ '<i>a</i>' | html2str }}|{{ '<i>a</i>' | str2html }}|{{ m | map_get('k', 'v') }}",
    )
    app = make_app()
    out = app.templates.render("f.html", {"when": MOMENT, "m": {"k": {"v": "<x>"}}})
    assert out == "2024-03-07|bcd|a|<i>a</i>|&lt;x&gt;"
