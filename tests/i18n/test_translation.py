"""Translating: gettext and its kin in Python, lazy strings, ``{% trans %}`` and plurals in
templates, the project's catalog before mvcpy's, and the service outside a request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mvcpy import App, Context
from mvcpy.i18n import _, lazy_gettext, ngettext, npgettext, pgettext
from mvcpy.testing import TestClient

from ._catalogs import write_catalog

#: module-level text: translated when used, in the locale of that moment
TITLE = lazy_gettext("Archive")


@pytest.fixture
def app(make_app: Callable[..., App], tmp_path: Path) -> App:
    write_catalog(
        tmp_path,
        "fr",
        {
            "Archive": "Archives",
            # CLDR's French has three forms: one (0, 1), many (1 000 000...), other
            "%(num)s comment|%(num)s comments": (
                "%(num)s commentaire",
                "%(num)s de commentaires",
                "%(num)s commentaires",
            ),
            ("month", "May"): "mai",
            ("verb", "May"): "Peut",
            ("inbox", "%(num)s message|%(num)s messages"): ("%(num)s mél", "", "%(num)s méls"),
            "Hello %(name)s": "Bonjour %(name)s",
            "Not Found": "Rien ici",  # the project's words win over mvcpy's
        },
    )
    return make_app(i18n={"locales": ["en", "fr"], "url_prefix": True})


def test_gettext_plurals_and_contexts_follow_the_locale(app: App) -> None:
    def words(ctx: Context) -> list[str]:
        return [
            str(TITLE),
            *(ngettext("%(num)s comment", "%(num)s comments", n) for n in (0, 1, 2, 10**6)),
            pgettext("month", "May"),
            pgettext("verb", "May"),
            npgettext("inbox", "%(num)s message", "%(num)s messages", 3),
            _("Hello %(name)s", name="Ada"),
            _("Not Found"),
            _("Not in any catalog"),
        ]

    app.route("/words", words, name="words")
    with TestClient(app) as client:
        assert client.get("/fr/words").json() == [
            "Archives",
            "0 commentaire",  # French uses the singular for 0 and 1
            "1 commentaire",
            "2 commentaires",
            "1000000 de commentaires",
            "mai",
            "Peut",
            "3 méls",
            "Bonjour Ada",
            "Rien ici",
            "Not in any catalog",
        ]
        assert client.get("/en/words").json() == [
            "Archive",
            "0 comments",
            "1 comment",
            "2 comments",
            "1000000 comments",
            "May",
            "May",
            "3 messages",
            "Hello Ada",
            "Not Found",
            "Not in any catalog",
        ]


def test_templates_translate_with_trans_pluralize_and_escape_values(
    app: App, tmp_path: Path
) -> None:
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "count.html").write_text(
        "{% trans %}Archive{% endtrans %}: "
        "{% trans num=n %}{{ num }} comment{% pluralize %}{{ num }} comments{% endtrans %}; "
        '{{ _("Hello %(name)s", name=who) }}; {{ pgettext("month", "May") }}'
    )

    def page(ctx: Context, n: int) -> str:
        return app.templates.render("count.html", {"n": n, "who": "<b>Ada</b>"}, ctx)

    app.route("/count/{n:int}", page, name="count")
    with TestClient(app) as client:
        assert client.get("/fr/count/1").text == (
            "Archives: 1 commentaire; Bonjour &lt;b&gt;Ada&lt;/b&gt;; mai"
        )
        assert client.get("/fr/count/5").text.startswith("Archives: 5 commentaires;")
        assert client.get("/count/1").text.startswith("Archive: 1 comment;")


def test_the_service_translates_outside_a_request(app: App) -> None:
    i18n = app.services["i18n"]
    assert _("Archive") == "Archive"
    with i18n.activate("fr"):
        assert _("Archive") == "Archives" and str(TITLE) == "Archives"
        assert app.templates.env.from_string("{{ _('Archive') }}").render() == "Archives"
    assert str(TITLE) == "Archive"
    with (
        pytest.raises(LookupError, match="'de' is not one of the app's locales"),
        i18n.activate("de"),
    ):
        pass


def test_a_changed_catalog_is_read_again_in_development(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    write_catalog(tmp_path, "fr", {"Archive": "Archives"})
    app = make_app(env="dev", i18n={"locales": ["en", "fr"]})
    i18n = app.services["i18n"]
    with i18n.activate("fr"):
        assert _("Archive") == "Archives"
    mo = tmp_path / "translations" / "fr" / "LC_MESSAGES" / "messages.mo"
    before = mo.stat().st_mtime
    write_catalog(tmp_path, "fr", {"Archive": "Dépôt"})
    import os

    os.utime(mo, (before + 5, before + 5))  # a later save, even on a coarse clock
    with i18n.activate("fr"):
        assert _("Archive") == "Dépôt"
