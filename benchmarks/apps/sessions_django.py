"""Django's sessions: ``BENCH_DJANGO_SESSION`` is ``db`` (PostgreSQL) or ``cache`` (Redis)."""

from __future__ import annotations

import django
from django.conf import settings
from sqlalchemy.engine import make_url

from benchmarks.apps.sessions_spec import PATH, SECRET, env

_url = make_url(env("DB_URL"))
_options = {"options": _url.query["options"]} if "options" in _url.query else {}
settings.configure(
    DEBUG=False,
    SECRET_KEY=SECRET,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.database,
            "USER": _url.username or "",
            "HOST": _url.host or "",
            "PORT": str(_url.port or ""),
            "OPTIONS": _options,
            "CONN_MAX_AGE": 0,
        }
    },
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": env("REDIS_PREFIX", "django-bench"),
        }
    },
    SESSION_ENGINE=f"django.contrib.sessions.backends.{env('DJANGO_SESSION', 'db')}",
    INSTALLED_APPS=["django.contrib.sessions"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    USE_TZ=True,
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def counter(request: HttpRequest) -> JsonResponse:
    n = request.session.get("n", 0) + 1
    request.session["n"] = n
    return JsonResponse({"n": n})


urlpatterns = [path(PATH.lstrip("/"), counter)]
app = get_asgi_application()
