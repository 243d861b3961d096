"""Catalogs written for the i18n tests, compiled with mvcpy's own catalog tools."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from mvcpy.i18n.catalog_files import compile_catalogs, po_path


def write_catalog(root: Path, locale: str, messages: dict[str | tuple[str, str], object]) -> Path:
    """Write and compile ``translations/<locale>/LC_MESSAGES/messages.po`` under ``root``.

    A key is a message or ``(context, message)``; a value is its translation, or a tuple
    of plural forms for a ``(singular, plural)`` message given as ``"singular|plural"``.
    """
    catalog = Catalog(locale=locale, fuzzy=False)
    for key, value in messages.items():
        context, message = key if isinstance(key, tuple) else (None, key)
        if "|" in message:
            catalog.add(tuple(message.split("|")), value, context=context)
        else:
            catalog.add(message, value, context=context)
    path = po_path(root / "translations", locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog)
    report = compile_catalogs(root / "translations")
    assert all(not problems for _, _, problems in report), report
    return path
