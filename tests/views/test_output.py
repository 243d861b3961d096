"""Autoescaped output (mvcpy.views.output): the same page as Jinja's own escaping."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from mvcpy.views.output import escape_output


class Html:
    def __html__(self) -> str:
        return "<i>own</i>"


class Text:
    def __str__(self) -> str:
        return "a < b & 'c'"


VALUES: list[Any] = [
    "plain",
    """<script>alert("x" & 'y')</script>""",
    "フレームワーク <b>",
    42,
    1.5,
    None,
    True,
    Markup("<b>safe</b>"),
    Html(),
    Text(),
    ["<li>", 2],
    {"k": "<v>"},
]

TEMPLATES = {
    "value.html": "{{ v }}|{{ v }}",
    "loop.html": "{% for x in [v, v] %}<td>{{ x }}</td>{% endfor %}",
    "filters.html": "{{ v | string | upper }}|{{ v | safe }}|{{ v | e }}",
    "blocks.html": (
        "{% set captured %}<p>{{ v }}</p>{% endset %}{{ captured }}"
        "{% filter upper %}{{ v }}{% endfilter %}"
    ),
    "macros.html": (
        "{% macro cell(x) %}<td>{{ x }}</td>{{ caller() if caller }}{% endmacro %}"
        "{{ cell(v) }}{% call cell(v) %}<em>{{ v }}</em>{% endcall %}"
    ),
    "switch.html": (
        "{% autoescape false %}{{ v }}{% endautoescape %}|"
        "{% autoescape true %}{{ v }}{% endautoescape %}"
    ),
    "plain.txt": "{{ v }}",  # not autoescaped
}


@pytest.fixture
def environments(make_app: Any, views: Any) -> tuple[jinja2.Environment, jinja2.Environment]:
    for name, source in TEMPLATES.items():
        views(name, source)
    ours = make_app(env="prod").templates.env
    stock = jinja2.Environment(
        loader=ours.loader, autoescape=jinja2.select_autoescape(("html", "htm", "xml"))
    )
    return ours, stock


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_pages_are_what_jinjas_escaping_makes(
    environments: tuple[jinja2.Environment, jinja2.Environment], name: str
) -> None:
    ours, stock = environments
    for value in VALUES:
        expected = stock.get_template(name).render(v=value)
        assert ours.get_template(name).render(v=value) == expected, (name, value)


def test_escaped_output_is_plain_text() -> None:
    assert escape_output("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
    assert type(escape_output("<")) is str
    assert escape_output(Markup("<b>")) == "<b>"
    assert escape_output(7) == "7"


def test_an_undefined_value_still_fails_in_strict_mode(make_app: Any, views: Any) -> None:
    views("strict.html", "{{ missing }}")
    app = make_app(templates={"strict": True})
    with pytest.raises(jinja2.UndefinedError):
        app.templates.env.get_template("strict.html").render()
