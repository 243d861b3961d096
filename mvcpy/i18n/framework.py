"""mvcpy's own catalogs: what they must hold, and ``python -m mvcpy.i18n.framework``,
which compiles them after a translation changed."""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2

from mvcpy._resources import resource_dir
from mvcpy.i18n.catalog_files import compile_catalogs, extract_messages
from mvcpy.i18n.catalogs import FRAMEWORK_DOMAIN, FRAMEWORK_TRANSLATIONS

__all__ = ["framework_messages", "main"]


def framework_messages() -> set[str]:
    """The messages mvcpy's code and built-in pages mark (not those of generated projects)."""
    package = Path(__file__).resolve().parent.parent
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    pages = [
        resource_dir("static") / "pages",
        package / "admin" / "views",
        package / "ops" / "views",
    ]
    catalog = extract_messages(package, pages, environment)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def main() -> int:
    """Compile every ``mvcpy.po`` of mvcpy's catalogs into its ``mvcpy.mo``."""
    status = 0
    for locale, translated, problems in compile_catalogs(FRAMEWORK_TRANSLATIONS, FRAMEWORK_DOMAIN):
        if problems:
            status = 1
            print(f"{locale}:", *problems, sep="\n  ", file=sys.stderr)
        else:
            print(f"{locale}: {translated} messages compiled")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
