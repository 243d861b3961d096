"""Django's ORM under its ASGI handler: sync views, a connection per request (as Django asks)."""

from __future__ import annotations

import django
from django.conf import settings

from benchmarks.apps.django_db import django_database
from benchmarks.apps.orm_spec import LIST_SIZE, TABLE

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": django_database()},
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
