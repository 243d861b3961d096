"""Django renders the views benchmark page with its templates and the cached loader (WSGI)."""

from __future__ import annotations

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from benchmarks.apps.views_spec import CONTEXT, DJANGO_TEMPLATES, ROUTES

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-secret-key-not-for-production-use",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(DJANGO_TEMPLATES)],
                "OPTIONS": {
                    "loaders": [
                        (
                            "django.template.loaders.cached.Loader",
                            ["django.template.loaders.filesystem.Loader"],
                        )
                    ],
                },
            }
        ],
    )
    django.setup()


def page(request: HttpRequest) -> HttpResponse:
    """Render the page."""
    return render(request, "views_page/index.html", CONTEXT)


def stub(request: HttpRequest, **_: object) -> HttpResponse:
    """Any other route of the navigation."""
    return HttpResponse("x")


urlpatterns = [
    path(django_path, page if name == "products" else stub, name=name)
    for name, (_, django_path) in ROUTES.items()
]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
