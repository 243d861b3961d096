"""The i18n component: ``[i18n]``, the ``i18n`` service, locale choice before routing,
translation and formatting in templates, the catalog check and ``mvcpy i18n``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jinja2

from mvcpy.components import CheckResult, Command, Component, Setup
from mvcpy.i18n.commands import configure_i18n, run_i18n
from mvcpy.i18n.settings import I18nSettings

if TYPE_CHECKING:
    from mvcpy.application import Application

__all__ = ["I18nComponent"]


class I18nComponent(Component):
    """Install internationalisation (docs/i18n.md).

    Every app gets ``{% trans %}``, the ``format_*`` filters and the check; an app that
    serves more than English as written also gets a locale per request (URL prefix,
    cookie, ``Accept-Language``), ``url_for`` that keeps it, and ``POST /-/locale``.
    """

    name = "i18n"
    sections = {"i18n": I18nSettings}
    commands = (
        Command(
            "i18n",
            "extract, start, update and compile the translation catalogs",
            run_i18n,
            configure_i18n,
            description="The catalogs live in the project package's translations/ folder.",
        ),
    )

    def install(self, setup: Setup) -> None:
        """Publish the service, the template helpers and, when needed, the middleware."""
        from mvcpy.i18n.formatting import FORMATTERS, set_default_timezone
        from mvcpy.i18n.middleware import LocaleMiddleware
        from mvcpy.i18n.service import I18n

        settings = setup.settings(I18nSettings)
        directory = setup.root_path / settings.directory
        i18n = I18n(settings, directory, reload=setup.debug)
        setup.service("i18n", i18n)
        set_default_timezone(settings.timezone)
        for name, formatter in FORMATTERS.items():
            setup.template_filter(name, _per_render(formatter))
            setup.template_global(name, formatter)
        setup.template_global("locales", i18n.locales)
        setup.template_value("locale", lambda ctx: ctx.locale)
        setup.template_value("locale_names", lambda ctx: i18n.names())
        setup.check(_check_catalogs)
        several = len(i18n.locales) > 1
        if several:
            setup.route("POST", "/-/locale", i18n.set_locale, name="i18n.set_locale")
        # Where a language switcher posts (None with one locale: the layout shows none).
        setup.template_global(
            "set_locale_url", setup.url_for("i18n.set_locale") if several else None
        )
        if not i18n.active:
            return  # English as written: requests pay nothing
        setup.middleware(
            LocaleMiddleware,
            chooser=i18n.chooser,
            catalogs=i18n.catalogs,
            url_prefix=settings.url_prefix,
            cookie=settings.cookie,
        )
        setup.route_table.path_prefix = i18n.path_prefix
        if settings.url_prefix:
            setup.template_value("locale_url", i18n.locale_url)


def _per_render(formatter: Callable[..., str]) -> Callable[..., str]:
    """The filter form of ``formatter``. Jinja computes a filter of a constant once, when
    it compiles the template (``{{ 0.25 | format_percent }}``), unless the filter takes the
    render context: this one does, so that each render formats in its own locale."""

    @jinja2.pass_context
    def render_time(context: Any, value: Any, *args: Any, **kwargs: Any) -> str:
        return formatter(value, *args, **kwargs)

    return render_time


def _check_catalogs(app: Application) -> CheckResult:
    from mvcpy.i18n.catalog_files import ExtractionError, status
    from mvcpy.i18n.commands import extract_for

    i18n = app.services["i18n"]
    if not i18n.active:
        return CheckResult("i18n", True, "English as written (no [i18n] locales, no catalogs)")
    try:
        template = extract_for(app)
    except ExtractionError as exc:
        return CheckResult("i18n", False, str(exc))
    found = status(template, i18n.directory, i18n.locales)
    problems = [
        f"{locale}: {len(missing)} message(s) of the code and views are not in the catalog "
        f"(first: {missing[0]!r}); run `mvcpy i18n extract` and `mvcpy i18n update`"
        for locale, missing in sorted(found.missing.items())
    ]
    problems += [
        f"{locale}: the catalog is not compiled; run `mvcpy i18n compile`"
        for locale in found.uncompiled
    ]
    if problems:
        return CheckResult("i18n", False, "; ".join(problems))
    if found.without_catalog:
        return CheckResult(
            "i18n",
            True,
            f"locales without a catalog of the project: {', '.join(found.without_catalog)} "
            "(only mvcpy's own words are translated); run `mvcpy i18n init LOCALE`",
            warning=True,
        )
    return CheckResult("i18n", True, f"catalogs up to date ({', '.join(i18n.locales)})")
