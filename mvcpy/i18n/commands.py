"""``mvcpy i18n extract | init LOCALE | update | compile``: the catalogs of a project.

Imported by the CLI before any project is loaded, so Babel is imported only when a
command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

    from mvcpy.components import CommandContext

__all__ = ["configure_i18n", "extract_for", "run_i18n"]

_ACTIONS = ("extract", "init", "update", "compile")


def configure_i18n(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``mvcpy i18n``."""
    from mvcpy._help import examples

    for key, value in examples(
        "mvcpy i18n extract        # translations/messages.pot from the code and views",
        "mvcpy i18n init fr        # translations/fr/LC_MESSAGES/messages.po",
        "mvcpy i18n update         # add the new messages to every catalog",
        "mvcpy i18n compile        # the .mo files the app reads",
    ).items():
        setattr(parser, key, value)
    parser.add_argument(
        "action",
        choices=_ACTIONS,
        help="extract: write translations/messages.pot from the code and views; "
        "init LOCALE: start a locale's catalog; update: add new messages to every catalog; "
        "compile: write the .mo files the app reads",
    )
    parser.add_argument("locale", nargs="?", help="the locale to start (init only): fr, pt_BR")
    parser.add_argument("--force", action="store_true", help="init: replace an existing catalog")


def extract_for(app: Any) -> Catalog:
    """The messages of ``app``'s package and views, as a template catalog."""
    from mvcpy.i18n.catalog_files import extract_messages

    templates = app.services["templates"]
    return extract_messages(
        app.root_path, templates.directories, templates.env, app.config.core.app_name
    )


def run_i18n(context: CommandContext) -> int:
    """Run ``mvcpy i18n ACTION``."""
    from mvcpy.i18n import catalog_files as files

    args = context.args
    if args.action != "init" and args.locale:
        print(f"mvcpy i18n {args.action} takes no locale", file=sys.stderr)
        return 2
    app = context.load_app()
    i18n = app.services["i18n"]
    directory = i18n.directory
    if args.action == "compile":
        return _compile(directory)
    try:
        template = extract_for(app)
    except files.ExtractionError as exc:
        print(exc, file=sys.stderr)
        return 1
    pot = files.write_template(template, directory)
    if args.action == "extract":
        print(f"{len(template)} message(s) written to {pot}")
        return 0
    if args.action == "init":
        return _init(template, directory, args.locale, args.force, i18n.locales)
    for locale, added, untranslated in files.update_catalogs(template, directory):
        print(f"{locale}: {added} new message(s), {untranslated} to translate")
    if not files.locales_of(directory):
        print("no catalog yet: start one with `mvcpy i18n init LOCALE`")
    return 0


def _init(
    template: Catalog, directory: Any, locale: str | None, force: bool, served: tuple[str, ...]
) -> int:
    from babel import Locale, UnknownLocaleError

    from mvcpy.i18n import catalog_files as files

    if not locale:
        print("mvcpy i18n init needs a locale: mvcpy i18n init fr", file=sys.stderr)
        return 2
    try:
        Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        print(f"{locale!r} is not a locale Babel knows (fr, de, pt_BR)", file=sys.stderr)
        return 2
    path = files.po_path(directory, locale)
    if path.exists() and not force:
        print(f"{path} exists; `mvcpy i18n update` adds new messages (--force starts again)")
        return 1
    path, filled = files.init_catalog(template, directory, locale)
    print(f"{path}: {len(template)} message(s), {filled} already translated by mvcpy")
    if locale not in served:
        print(f'add "{locale}" to locales in [i18n] of conf/app.toml to serve it')
    return 0


def _compile(directory: Any) -> int:
    from mvcpy.i18n import catalog_files as files

    report = files.compile_catalogs(directory)
    if not report:
        print("no catalog to compile: start one with `mvcpy i18n init LOCALE`")
        return 0
    status = 0
    for locale, translated, problems in report:
        if problems:
            status = 1
            print(f"{locale}: not compiled:", *problems, sep="\n  ", file=sys.stderr)
        else:
            print(f"{locale}: {translated} translated message(s) compiled")
    return status
