"""The scaffold in French, end to end: the CLI round trip of the catalogs, then Chromium.

What the getting-started guide's French section tells a user to do, as subprocesses in a
new project: add ``fr`` to ``[i18n] locales`` with URL prefixes, ``mvcpy i18n extract``,
``mvcpy i18n init fr`` (mvcpy's own words come translated), translate the project's own
strings in the ``.po``, ``mvcpy i18n compile``; ``mvcpy check`` finds a new string stale
until ``update`` and ``compile`` ran. Then uvicorn serves the project and headless
Chromium creates a post at ``/fr/...``: French headings, French validation errors beside
the field, French flash messages, links that stay in French, and the language switcher
that goes back to English and is remembered by a cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ._browser import wait_for
from ._projects import MVCPY, new_project, project_pytest, run_in_project
from ._servers import PROD_SECRET, ServerProcess, uvicorn_argv

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

#: The project's own strings, as a translator fills them in (the scaffold's words are mvcpy's).
TRANSLATED = {
    "Posts": "Billets",
    "New post": "Nouveau billet",
    "Create post": "Publier le billet",
    "Post": "Billet",
    "post": "billet",
    "Title": "Titre",
    "Back to posts": "Retour aux billets",
}


def _translate(po: Path, translations: dict[str, str]) -> None:
    """Fill ``msgstr`` of each ``msgid`` like a translator editing the file."""
    text = po.read_text(encoding="utf-8")
    for source, target in translations.items():
        pattern = re.compile(rf'^msgid "{re.escape(source)}"\nmsgstr ""$', re.M)
        text, count = pattern.subn(f'msgid "{source}"\nmsgstr "{target}"', text)
        assert count == 1, f"{source!r} is not in {po} as an untranslated message"
    po.write_text(text, encoding="utf-8")


def _prepare(tmp_path: Path) -> Path:
    project = new_project(tmp_path)

    def run(*argv: str, check: bool = True) -> str:
        result = run_in_project([MVCPY, *argv], project, check=check)
        return result.stdout + result.stderr

    run("generate", "scaffold", "post", "title:str", "body:text", "published:bool")
    conf = project / "demo" / "conf" / "app.toml"
    text = conf.read_text()
    assert 'locales = ["en"]\n' in text
    text = text.replace('locales = ["en"]\n', 'locales = ["en", "fr"]\nurl_prefix = true\n')
    conf.write_text(text)

    assert "translations/messages.pot" in run("i18n", "extract")
    out = run("i18n", "init", "fr")
    found = re.search(r"(\d+) message\(s\), (\d+) already translated by mvcpy", out)
    assert found and int(found.group(2)) >= 10, out  # Edit, Show, (optional), yes, no...
    po = project / "demo" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    assert 'msgid "Edit"\nmsgstr "Modifier"' in po.read_text()
    _translate(po, TRANSLATED)
    assert "fr: " in run("i18n", "compile")
    assert (po.parent / "messages.mo").is_file()
    check = run("check", check=False)
    assert re.search(r"^ok\s+i18n\b", check, re.M), check

    # A new string in a view: the check says the catalog is stale until update and compile.
    index = project / "demo" / "views" / "posts" / "index.html"
    index.write_text(
        index.read_text().replace(
            "{% block content %}", "{% block content %}\n<p>{{ _('Latest first') }}</p>", 1
        )
    )
    stale = run("check", check=False)
    assert re.search(r"^FAIL\s+i18n\b.*'Latest first'.*mvcpy i18n update", stale, re.M), stale
    assert "fr: 1 new message(s)" in run("i18n", "update")
    _translate(po, {"Latest first": "Les plus récents d\u2019abord"})
    assert re.search(r"^FAIL\s+i18n\b.*not compiled", run("check", check=False), re.M)
    run("i18n", "compile")
    assert re.search(r"^ok\s+i18n\b", run("check", check=False), re.M)

    run("db", "upgrade")
    tests = run_in_project(project_pytest(), project, timeout=120).stdout
    assert re.search(r"\b13 passed\b", tests), tests  # in English, the default locale
    return project


def test_scaffold_in_french_in_a_browser(
    tmp_path: Path, browser: Chrome, start_server: Callable[..., ServerProcess]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    project = _prepare(tmp_path)
    server = start_server(
        "scaffold-french",
        uvicorn_argv("demo.app:app"),
        env={
            "MVCPY_ENV": "prod",
            "MVCPY_SECRET_KEY": PROD_SECRET,
            "MVCPY_SESSION__SECURE": "false",  # plain HTTP on loopback
        },
        cwd=project,
    )
    base = server.base_url

    def heading() -> str:
        return browser.find_element(By.TAG_NAME, "h1").text

    def flash(message: str) -> None:
        wait_for(
            lambda: any(
                e.text == message for e in browser.find_elements(By.CSS_SELECTOR, "p.flash")
            ),
            what=f"the flash message {message!r}",
        )

    browser.get(base + "/fr/posts")
    assert heading() == "Billets"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert "Les plus récents d\u2019abord" in browser.page_source

    browser.find_element(By.LINK_TEXT, "Nouveau billet").click()
    wait_for(lambda: heading() == "Nouveau billet", what="the new post form")
    assert browser.current_url == base + "/fr/posts/new"  # url_for kept the prefix
    browser.find_element(By.ID, "body").send_keys("Écrit dans Chromium.")
    browser.find_element(By.XPATH, "//button[normalize-space()='Publier le billet']").click()
    error = wait_for(lambda: browser.find_elements(By.ID, "title-error"), what="the title's error")
    assert error[0].text == "Le texte doit contenir au moins 1 caractère"
    alert = browser.find_element(By.CSS_SELECTOR, "p.error").text
    assert alert == "Enregistrement impossible (billet) : corrigez les champs signalés ci-dessous."
    assert browser.find_element(By.XPATH, "//label[@for='title']").text == "Titre"

    browser.find_element(By.ID, "title").send_keys("Bonjour")
    browser.find_element(By.ID, "published").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Publier le billet']").click()
    flash("Billet : création enregistrée.")
    assert heading() == "Bonjour"
    assert re.fullmatch(re.escape(base) + r"/fr/posts/\d+", browser.current_url)
    assert "oui" in browser.find_element(By.TAG_NAME, "dl").text.split()
    assert browser.find_element(By.LINK_TEXT, "Modifier")
    assert browser.save_screenshot(str(tmp_path / "scaffold-french.png"))

    # The switcher: English from here on, this page first, then remembered by the cookie.
    Select(browser.find_element(By.ID, "locale")).select_by_value("en")
    browser.find_element(By.XPATH, "//form[@class='locale']//button").click()
    wait_for(lambda: browser.current_url.startswith(base + "/en/posts/"), what="the English page")
    assert browser.find_element(By.LINK_TEXT, "Edit")
    browser.get(base + "/posts")
    assert heading() == "Posts"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    # Without a cookie, Accept-Language chooses; framework refusals speak French too.
    with httpx.Client(base_url=base, timeout=10.0) as http:
        page = http.get("/posts", headers={"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"})
        assert "<h1>Billets</h1>" in page.text
        assert page.headers["content-language"] == "fr"
        assert "Accept-Language" in page.headers["vary"]
        missing = http.get("/fr/nowhere", headers={"accept": "text/html"})
        assert missing.status_code == 404
        assert "Il n\u2019y a pas de page à cette adresse." in missing.text
        refused = http.post(
            "/fr/posts", data={"title": "x"}, headers={"accept": "application/json"}
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["message"].startswith("Jeton CSRF absent")
    assert "Traceback" not in server.log()
