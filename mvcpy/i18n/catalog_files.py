"""The project's catalog files: extract the messages of its code and views, start a
locale's catalog, update catalogs with new messages, compile them, and tell whether they
are stale. Babel reads and writes every file; Jinja's own extractor reads the views.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from mvcpy.i18n.catalogs import FRAMEWORK_DOMAIN, FRAMEWORK_TRANSLATIONS, PROJECT_DOMAIN

__all__ = [
    "KEYWORDS",
    "CatalogStatus",
    "ExtractionError",
    "compile_catalogs",
    "extract_messages",
    "init_catalog",
    "is_compiled",
    "po_path",
    "status",
    "update_catalogs",
    "write_template",
]

#: the calls whose string arguments are messages (Babel's, plus mvcpy's lazy forms)
KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
#: the folders of a project package that hold no messages
_SKIPPED = frozenset({"migrations", "instance", "translations", "__pycache__", "static"})
_VIEW_SUFFIXES = frozenset({".html", ".htm", ".txt", ".xml", ".jinja", ".j2", ".md"})


class ExtractionError(ValueError):
    """A source file whose messages cannot be read (a template that does not parse)."""


def po_path(directory: Path, locale: str, domain: str = PROJECT_DOMAIN) -> Path:
    """``translations/<locale>/LC_MESSAGES/<domain>.po``."""
    return directory / locale / "LC_MESSAGES" / f"{domain}.po"


def _python_files(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*.py")):
        if not _SKIPPED.intersection(path.relative_to(package).parts[:-1]):
            yield path


def _view_files(directories: Iterable[Path]) -> Iterator[Path]:
    for directory in directories:
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.suffix in _VIEW_SUFFIXES and path.is_file():
                    yield path


def _jinja_method(environment: Any) -> Any:
    """A Babel extraction method reading templates with the app's own Jinja environment
    (so that its extensions, such as ``{% cache %}``, parse)."""

    def method(
        fileobj: Any, keywords: Any, comment_tags: Any, options: Any
    ) -> Iterator[tuple[int, str, Any, list[str]]]:
        source = fileobj.read().decode("utf-8")
        for lineno, function, message in environment.extract_translations(
            source, gettext_functions=tuple(keywords)
        ):
            yield lineno, function, message, []

    return method


def extract_messages(
    package: Path, view_dirs: Iterable[Path], environment: Any, project: str = ""
) -> Catalog:
    """Return a template catalog of every message marked in ``package``'s Python files
    and in the views (``_()``, ``gettext``, ``{% trans %}``...)."""
    catalog = Catalog(project=project or package.name, fuzzy=False, charset="utf-8")
    base = package.parent
    sources: list[tuple[Path, Any]] = [(p, "python") for p in _python_files(package)]
    jinja = _jinja_method(environment)
    sources += [(p, jinja) for p in _view_files(view_dirs)]
    for path, method in sources:
        with path.open("rb") as file:
            try:
                found = list(
                    extract(method, file, keywords=KEYWORDS, comment_tags=("Translators:",))
                )
            except (SyntaxError, UnicodeDecodeError, jinja2.TemplateSyntaxError) as exc:
                raise ExtractionError(f"{path}: cannot read its messages: {exc}") from None
            for lineno, message, comments, context in found:
                location = path.relative_to(base) if path.is_relative_to(base) else path
                catalog.add(
                    message,
                    None,
                    [(location.as_posix(), lineno)],
                    auto_comments=comments,
                    context=context,
                )
    return catalog


def write_template(catalog: Catalog, directory: Path) -> Path:
    """Write ``translations/messages.pot``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PROJECT_DOMAIN}.pot"
    with path.open("wb") as file:
        write_po(file, catalog, width=88, sort_output=True)
    return path


def _prefill(catalog: Catalog, locale: str) -> int:
    """Fill untranslated messages that mvcpy's own catalog translates; return how many."""
    framework = po_path(FRAMEWORK_TRANSLATIONS, locale, FRAMEWORK_DOMAIN)
    if not framework.is_file():
        return 0
    with framework.open("rb") as file:
        known = read_po(file, locale=locale)
    filled = 0
    for message in catalog:
        if not message.id or (message.string and any(_strings(message.string))):
            continue
        source = known.get(message.id, message.context)
        if source is not None and source.string and not source.fuzzy:
            message.string = source.string
            filled += 1
    return filled


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def init_catalog(template: Catalog, directory: Path, locale: str) -> tuple[Path, int]:
    """Start ``locale``'s catalog from the template; return its path and how many
    messages mvcpy's own catalog already translated."""
    parsed = Locale.parse(locale)
    buffer = io.BytesIO()
    write_po(buffer, template)
    buffer.seek(0)
    catalog = read_po(buffer, locale=parsed)
    catalog.locale = parsed
    catalog.revision_date = catalog.creation_date
    catalog.fuzzy = False
    filled = _prefill(catalog, locale)
    path = po_path(directory, locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=88)
    return path, filled


def locales_of(directory: Path, domain: str = PROJECT_DOMAIN) -> list[str]:
    """The locales that have a catalog in ``directory``."""
    if not directory.is_dir():
        return []
    return sorted(
        p.name for p in directory.iterdir() if po_path(directory, p.name, domain).is_file()
    )


def update_catalogs(template: Catalog, directory: Path) -> list[tuple[str, int, int]]:
    """Merge the template into every locale's catalog: new messages are added (filled
    from mvcpy's catalog when it knows them), gone ones kept as obsolete. Return
    ``(locale, added, untranslated)`` per locale."""
    report = []
    for locale in locales_of(directory):
        path = po_path(directory, locale)
        with path.open("rb") as file:
            catalog = read_po(file, locale=locale)
        before = {(m.id, m.context) for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True)
        _prefill(catalog, locale)
        added = sum(1 for m in catalog if m.id and (m.id, m.context) not in before)
        untranslated = sum(1 for m in catalog if m.id and not _is_translated(m))
        with path.open("wb") as file:
            write_po(file, catalog, width=88)
        report.append((locale, added, untranslated))
    return report


def _compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _translations(catalog: Catalog) -> dict[tuple[Any, Any], Any]:
    def plain(value: Any) -> Any:  # read_mo gives plural forms as lists
        return tuple(value) if isinstance(value, list) else value

    return {(plain(m.id), m.context): plain(m.string) for m in catalog if m.id}


def _read_mo(data: bytes) -> Catalog | None:
    try:
        return read_mo(io.BytesIO(data))
    except (OSError, ValueError, IndexError, UnicodeDecodeError):  # not a catalog
        return None


def is_compiled(catalog: Catalog, mo: Path) -> bool:
    """Whether ``mo`` holds what compiling ``catalog`` gives now (its header aside, whose
    dates Babel may fill in when it reads a ``.po``)."""
    if not mo.is_file():
        return False
    found, expected = _read_mo(mo.read_bytes()), _read_mo(_compiled(catalog))
    return (
        found is not None
        and expected is not None
        and (_translations(found) == _translations(expected))
    )


def _is_translated(message: Any) -> bool:
    return bool(message.id) and not message.fuzzy and all(_strings(message.string))


def _read(path: Path, locale: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def compile_catalogs(
    directory: Path, domain: str = PROJECT_DOMAIN
) -> list[tuple[str, int, list[str]]]:
    """Compile every ``.po`` into its ``.mo``; return ``(locale, translated, problems)``.
    A catalog with problems (a placeholder the translation lacks) is not written."""
    report = []
    for locale in locales_of(directory, domain):
        path = po_path(directory, locale, domain)
        catalog = _read(path, locale)
        problems = [
            f"{path.name}:{message.lineno}: {error}"
            for message, errors in catalog.check()
            for error in errors
        ]
        translated = sum(1 for m in catalog if _is_translated(m))
        if not problems:
            path.with_suffix(".mo").write_bytes(_compiled(catalog))
        report.append((locale, translated, problems))
    return report


@dataclass
class CatalogStatus:
    """What ``mvcpy check`` says about the catalogs."""

    #: locale -> messages of the code and views its catalog lacks
    missing: dict[str, list[str]] = field(default_factory=dict)
    #: locales whose ``.mo`` is absent or older than their ``.po``
    uncompiled: list[str] = field(default_factory=list)
    #: served locales with no catalog at all
    without_catalog: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """Whether a catalog misses messages or is not compiled."""
        return bool(self.missing or self.uncompiled)


def status(template: Catalog, directory: Path, served: Iterable[str]) -> CatalogStatus:
    """Compare the catalogs with the messages of the code and views."""
    result = CatalogStatus()
    have = locales_of(directory)
    for locale in have:
        path = po_path(directory, locale)
        catalog = _read(path, locale)
        missing = [
            m.id if isinstance(m.id, str) else m.id[0]
            for m in template
            if m.id and catalog.get(m.id, m.context) is None
        ]
        if missing:
            result.missing[locale] = missing
        if not is_compiled(catalog, path.with_suffix(".mo")):
            result.uncompiled.append(locale)
    result.without_catalog = [
        locale for locale in served if locale not in have and locale.split("_")[0] != "en"
    ]
    return result
