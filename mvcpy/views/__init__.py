"""The view layer: Jinja templates with layouts, caches, helpers and static checks."""

from mvcpy.views.checks import Problem, check_templates, check_urls
from mvcpy.views.engine import RECORD_EXTENSION, ContextProvider, CurrentRoute, Templates
from mvcpy.views.errors import SessionsNotEnabled, TemplateRenderError

__all__ = [
    "RECORD_EXTENSION",
    "ContextProvider",
    "CurrentRoute",
    "Problem",
    "SessionsNotEnabled",
    "TemplateRenderError",
    "Templates",
    "check_templates",
    "check_urls",
]
