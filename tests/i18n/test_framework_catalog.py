"""mvcpy's own French: every message the framework marks is translated, the shipped
``.mo`` is the ``.po`` compiled, and a generated project's own words need no one but the
project (what mvcpy writes into it comes translated)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from babel.messages.pofile import read_po

from mvcpy.i18n.catalog_files import extract_messages, is_compiled
from mvcpy.i18n.catalogs import FRAMEWORK_TRANSLATIONS
from mvcpy.i18n.framework import framework_messages
from mvcpy.project import create_project

PO = FRAMEWORK_TRANSLATIONS / "fr" / "LC_MESSAGES" / "mvcpy.po"


def _french() -> dict[str, bool]:
    with PO.open("rb") as file:
        catalog = read_po(file, locale="fr")
    assert not list(catalog.check()), "a translation breaks a placeholder"
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): all(
            m.string if isinstance(m.string, tuple) else (m.string,)
        )
        for m in catalog
        if m.id
    }


def test_every_message_of_the_framework_is_translated_into_french() -> None:
    french = _french()
    marked = framework_messages()
    assert len(marked) > 40  # validation errors, reason phrases, CSRF, the error page
    assert sorted(m for m in marked if not french.get(m)) == []


def test_the_shipped_mo_is_the_po_compiled() -> None:
    with PO.open("rb") as file:
        catalog = read_po(file, locale="fr")
    assert is_compiled(catalog, PO.with_suffix(".mo")), (
        "mvcpy.po changed: run python -m mvcpy.i18n.framework"
    )


def test_what_mvcpy_writes_into_a_project_comes_translated(tmp_path: Path) -> None:
    """The skeleton's words, and the scaffold's once the model's own names are set aside."""
    from mvcpy.cli import main

    project = create_project("blog", tmp_path / "blog")
    import os

    cwd = os.getcwd()
    os.chdir(project)
    try:
        fields = ["title:str", "body:text", "published:bool", "seats:int?", "day:date"]
        assert main(["generate", "scaffold", "post", *fields]) == 0
    finally:
        os.chdir(cwd)
    package = project / "blog"
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    catalog = extract_messages(package, [package / "views"], environment)
    own = re.compile(r"\bposts?\b|^(Title|Body|Published|Seats|Day)$", re.I)
    generated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    french = _french()
    untranslated = sorted(m for m in generated if not own.search(m) and not french.get(m))
    assert untranslated == []
    assert {"Edit", "Show", "(optional)", "%(name)s created.", "Language"} <= generated
