"""Internationalisation: translations with Babel, a locale per request, local formats.

``from mvcpy.i18n import _`` in controllers and models; ``{% trans %}`` in views; the
``format_*`` functions and filters for dates, numbers and money. See docs/i18n.md.
"""

from mvcpy.i18n.formatting import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_number,
    format_percent,
    format_time,
    format_timedelta,
)
from mvcpy.i18n.settings import I18nSettings
from mvcpy.translation import (
    N_,
    active_locale,
    gettext,
    lazy_gettext,
    lazy_ngettext,
    lazy_pgettext,
    ngettext,
    npgettext,
    pgettext,
)

_ = gettext

__all__ = [
    "N_",
    "I18nSettings",
    "_",
    "active_locale",
    "format_currency",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_number",
    "format_percent",
    "format_time",
    "format_timedelta",
    "gettext",
    "lazy_gettext",
    "lazy_ngettext",
    "lazy_pgettext",
    "ngettext",
    "npgettext",
    "pgettext",
]
