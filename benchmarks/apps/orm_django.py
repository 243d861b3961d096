"""Django's ORM under its ASGI handler: sync views, a connection per request (as Django asks)."""

from __future__ import annotations

import django
from django.conf import settings
from sqlalchemy.engine import make_url

from benchmarks.apps.orm_spec import LIST_SIZE, TABLE, database_url


def _databases() -> dict[str, object]:
    url = make_url(database_url())
    # Django asks for persistent connections to be off under ASGI (they leak per thread).
    common = {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}
    if url.get_backend_name() == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.database, **common}
    options = {}
    search_path = url.query.get("options")
    if search_path:
        options["options"] = search_path
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.database,
        "USER": url.username or "",
        "HOST": url.host or "",
        "PORT": str(url.port or ""),
        "OPTIONS": options,
        **common,
    }


settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": _databases()},
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    USE_TZ=True,
    LOGGING={
        "version": 1,
        "handlers": {"stderr": {"class": "logging.StreamHandler"}},
        "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
    },
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.db import models  # noqa: E402
from django.http import Http404, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


class Item(models.Model):
    name = models.CharField(max_length=80)
    price = models.FloatField()
    stock = models.IntegerField()

    class Meta:
        app_label = "bench"
        db_table = TABLE
        managed = False


def as_dict(item: Item) -> dict[str, object]:
    return {"id": item.id, "name": item.name, "price": item.price, "stock": item.stock}


def show(request: object, id: int) -> JsonResponse:
    try:
        return JsonResponse(as_dict(Item.objects.get(pk=id)))
    except Item.DoesNotExist:
        raise Http404 from None


def index(request: object) -> JsonResponse:
    items = Item.objects.order_by("id")[:LIST_SIZE]
    return JsonResponse([as_dict(item) for item in items], safe=False)


urlpatterns = [path("items/<int:id>", show), path("items", index)]
app = get_asgi_application()
