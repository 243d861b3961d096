"""``mvcpy i18n`` in a project: what it writes, what it refuses, and ``mvcpy check``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mvcpy.cli import main

PO = Path("translations/fr/LC_MESSAGES/messages.po")


@pytest.fixture
def project(ready_project: Path) -> Path:
    (ready_project / "views" / "home" / "get.html").write_text(
        "<h1>{% trans %}Hello{% endtrans %}</h1>{% cache 'k', 60 %}{{ _('Cached') }}{% endcache %}"
        "{% trans n=3 %}{{ n }} day{% pluralize %}{{ n }} days{% endtrans %}"
    )
    (ready_project / "words.py").write_text(
        "from mvcpy.i18n import _, lazy_gettext, pgettext\n"
        "TITLE = lazy_gettext('Blog')\n"
        "def menu():\n"
        "    # Translators: the file menu\n"
        "    return [_('Edit'), pgettext('menu', 'File')]\n"
    )
    config = ready_project / "conf" / "app.toml"
    config.write_text(config.read_text() + '\n[default.i18n]\nlocales = ["en", "fr", "de"]\n')
    return ready_project


def test_extract_reads_python_and_views_with_the_apps_own_tags(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["i18n", "extract"]) == 0
    assert "6 message(s) written to" in capsys.readouterr().out
    pot = (project / "translations" / "messages.pot").read_text()
    for entry in (
        'msgid "Hello"',
        'msgid "Cached"',  # inside {% cache %}: parsed with the app's extensions
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"',
        'msgid "Blog"',
        'msgctxt "menu"\nmsgid "File"',
        "#: readyproj/words.py:5",
    ):
        assert entry in pot, entry


def test_init_refuses_to_overwrite_and_fills_in_mvcpys_words(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["i18n", "init", "fr"]) == 0
    assert "6 message(s), 1 already translated by mvcpy" in capsys.readouterr().out
    po = project / PO
    assert 'msgid "Edit"\nmsgstr "Modifier"' in po.read_text()  # mvcpy's French
    po.write_text(
        po.read_text().replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Salut"')
    )
    assert main(["i18n", "init", "fr"]) == 1
    assert "exists; `mvcpy i18n update` adds new messages" in capsys.readouterr().out
    assert "Salut" in po.read_text()
    assert main(["i18n", "init"]) == 2
    assert main(["i18n", "init", "xx_YY_ZZ"]) == 2
    assert main(["i18n", "compile", "fr"]) == 2
    assert "takes no locale" in capsys.readouterr().err


def test_a_broken_translation_is_not_compiled(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["i18n", "init", "fr"]) == 0
    po = project / PO
    text = po.read_text()
    text = text.replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Salut"')
    po.write_text(text)
    assert main(["i18n", "compile"]) == 0
    mo = po.with_suffix(".mo")
    good = mo.read_bytes()
    plural = '"%(n)s day"\nmsgid_plural "%(n)s days"'
    unknown = plural + '\nmsgstr[0] "%(n)s jour"\nmsgstr[1] "%(jours)s jours"'  # no %(jours)s
    po.write_text(text.replace(plural, unknown, 1))
    capsys.readouterr()
    assert main(["i18n", "compile"]) == 1
    assert "fr: not compiled" in capsys.readouterr().err
    assert mo.read_bytes() == good  # the last good catalog is kept


def test_check_fails_on_stale_catalogs_and_warns_on_missing_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def check_line() -> str:
        main(["check"])
        line = next(line for line in capsys.readouterr().out.splitlines() if " i18n " in line)
        return " ".join(line.split())

    assert main(["i18n", "init", "fr"]) == 0
    assert check_line().startswith("FAIL i18n fr: the catalog is not compiled")
    assert main(["i18n", "compile"]) == 0
    line = check_line()
    assert line.startswith("WARN i18n") and "without a catalog of the project: de" in line
    (project / "more.py").write_text("from mvcpy.i18n import _\nNEW = _('Brand new')\n")
    line = check_line()
    assert line.startswith("FAIL i18n fr: 1 message(s)") and "'Brand new'" in line
    assert main(["i18n", "update"]) == 0
    assert "fr: 1 new message(s)" in capsys.readouterr().out
    assert main(["i18n", "compile"]) == 0
    assert check_line().startswith("WARN i18n")


def test_a_view_that_does_not_parse_is_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "views" / "broken.html").write_text("{% trans %}Hello{% endtrans")
    assert main(["i18n", "extract"]) == 1
    assert "views/broken.html: cannot read its messages" in capsys.readouterr().err
    main(["check"])
    out = capsys.readouterr().out
    assert any(
        line.startswith("FAIL") and "broken.html: cannot read its messages" in line
        for line in out.splitlines()
    ), out
