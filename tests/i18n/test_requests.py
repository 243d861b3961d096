"""A locale per request: URL prefixes before routing, the cookie, ``Accept-Language``,
``url_for`` keeping the prefix, the language switcher, and apps that pay nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App, ConfigurationError, Context
from mvcpy.i18n import _
from mvcpy.routing import URLBuildError
from mvcpy.testing import TestClient

from ._catalogs import write_catalog


def _where(ctx: Context) -> dict[str, Any]:
    return {
        "locale": ctx.locale,
        "here": ctx.url_for("where"),
        "post": ctx.url_for("post", id=7),
        "health": ctx.url_for("health"),
        "greeting": _("Good morning"),
    }


@pytest.fixture
def app(make_app: Callable[..., App], tmp_path: Path) -> App:
    write_catalog(tmp_path, "fr", {"Good morning": "Bonjour"})
    write_catalog(tmp_path, "pt_BR", {"Good morning": "Bom dia"})
    app = make_app(
        i18n={"locales": ["en", "fr", "pt_BR"], "url_prefix": True},
        health={"enabled": True},
    )
    app.route("/where", _where, name="where")
    app.route("/posts/{id:int}", lambda ctx, id: {"id": id, "locale": ctx.locale}, name="post")
    return app


def test_a_url_prefix_chooses_the_locale_and_url_for_keeps_it(app: App) -> None:
    with TestClient(app) as client:
        french = client.get("/fr/where")
        assert french.json() == {
            "locale": "fr",
            "here": "/fr/where",
            "post": "/fr/posts/7",
            "health": "/healthz",  # unprefixed_routes: probes use one address
            "greeting": "Bonjour",
        }
        assert french.headers["content-language"] == "fr"
        assert "vary" not in french.headers  # the URL alone says the language
        assert client.get("/pt-br/posts/3").json() == {"id": 3, "locale": "pt_BR"}
        assert client.get("/fr").status_code == 404  # "/" is not routed in this app
        assert client.get("/de/where").status_code == 404  # not a locale of the app
        english = client.get("/where").json()
        assert english["here"] == "/where" and english["greeting"] == "Good morning"


def test_without_a_prefix_the_cookie_then_accept_language_choose(app: App) -> None:
    with TestClient(app) as client:
        asked = client.get("/where", headers={"accept-language": "pt-PT, fr;q=0.5"})
        assert asked.json()["locale"] == "pt_BR"
        assert asked.headers["content-language"] == "pt-BR"
        assert asked.headers["vary"] == "Accept-Language, Cookie"
        assert asked.json()["here"] == "/where"  # unprefixed pages stay unprefixed
        chosen = client.get("/where", headers={"accept-language": "pt-BR", "cookie": "locale=fr"})
        assert chosen.json()["locale"] == "fr"
        unknown = client.get("/where", headers={"cookie": "locale=xx; other=1"})
        assert unknown.json()["locale"] == "en"


def test_links_to_another_locale(app: App) -> None:
    assert app.url_for("post", id=1, _locale="fr") == "/fr/posts/1"
    assert app.url_for("post", id=1, _locale="pt-BR") == "/pt-br/posts/1"
    assert app.url_for("health", _locale="fr") == "/healthz"
    with pytest.raises(URLBuildError, match="'de' is not one of the app's locales"):
        app.url_for("post", id=1, _locale="de")


def test_templates_link_to_this_page_in_another_locale(app: App, tmp_path: Path) -> None:
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "page.html").write_text(
        '<html lang="{{ locale }}">{{ _("Good morning") }} '
        '{% for code in locales %}<a href="{{ locale_url(code) }}">{{ locale_names[code] }}</a>'
        "{% endfor %}</html>"
    )
    app.route("/page", lambda ctx: app.templates.render("page.html", {}, ctx), name="page")
    with TestClient(app) as client:
        page = client.get("/fr/page?x=1").text
    assert page == (
        '<html lang="fr">Bonjour <a href="/en/page?x=1">English</a>'
        '<a href="/fr/page?x=1">français</a><a href="/pt-br/page?x=1">português (Brasil)</a></html>'
    )


def test_the_switcher_remembers_the_choice_and_goes_back_in_it(app: App) -> None:
    with TestClient(app) as client:
        answer = client.post(
            "/-/locale", data={"locale": "fr", "next": "/pt-br/posts/3?a=1"}, follow_redirects=False
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/fr/posts/3?a=1"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("locale=fr;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert client.get("/where").json()["locale"] == "fr"  # the cookie is sent back

        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "posts"):
            answer = client.post(
                "/-/locale", data={"locale": "en", "next": target}, follow_redirects=False
            )
            assert answer.headers["location"] == "/en/", target
        refused = client.post("/-/locale", data={"locale": "klingon"})
        assert refused.status_code == 400
        assert "Unknown locale 'klingon': choose one of en, fr, pt_BR" in refused.text


def test_an_english_only_app_pays_nothing(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.route("/where", lambda ctx: {"locale": ctx.locale, "t": _("Not Found")}, name="where")
    with TestClient(app) as client:
        answer = client.get("/where", headers={"accept-language": "fr"})
    assert answer.json() == {"locale": "en", "t": "Not Found"}
    assert "content-language" not in answer.headers  # no middleware was installed
    assert "i18n.set_locale" not in app.route_table.names


def test_one_other_locale_is_served_without_negotiation(make_app: Callable[..., App]) -> None:
    app = make_app(i18n={"locales": ["fr"], "default_locale": "fr"})
    app.route("/where", lambda ctx: {"locale": ctx.locale, "t": _("Not Found")}, name="where")
    with TestClient(app) as client:
        answer = client.get("/where", headers={"accept-language": "en"})
        missing = client.get("/nowhere")
    assert answer.json() == {"locale": "fr", "t": "Page introuvable"}  # mvcpy's French
    assert "vary" not in answer.headers
    assert missing.json()["error"]["message"] == "Page introuvable"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"locales": ["en", "klingon"]}, "'klingon' is not a locale Babel knows"),
        ({"locales": ["en"], "default_locale": "fr"}, "default_locale 'fr' is not in locales"),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not an IANA time zone"),
        ({"url_prefixes": True}, "did you mean 'url_prefix'"),
    ],
)
def test_settings_are_checked_at_startup(
    make_app: Callable[..., App], settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(i18n=settings)


def test_without_url_prefixes_a_locale_link_is_refused(make_app: Callable[..., App]) -> None:
    app = make_app(i18n={"locales": ["en", "fr"]})
    app.route("/where", _where, name="where")
    with pytest.raises(URLBuildError, match="url_prefix is off"):
        app.url_for("where", _locale="fr")
    with TestClient(app) as client:
        assert client.get("/fr/where").status_code == 404
        answer = client.post(
            "/-/locale", data={"locale": "fr", "next": "/where"}, follow_redirects=False
        )
        assert answer.headers["location"] == "/where"
