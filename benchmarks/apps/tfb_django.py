"""Django's ORM under its ASGI handler: sync views, a connection per request (as Django
asks under ASGI), the fortunes through Django's template engine."""

from __future__ import annotations

from pathlib import Path

import django
from django.conf import settings

from benchmarks.apps.django_db import django_database

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": django_database()},
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    USE_TZ=True,
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(Path(__file__).parent / "tfb_views_django")],
        }
    ],
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.db import models, transaction  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402

from benchmarks.apps.tfb_spec import ADDED_FORTUNE, MESSAGE, clamp, random_id  # noqa: E402


class World(models.Model):
    randomnumber = models.IntegerField()

    class Meta:
        app_label = "bench"
        db_table = "world"
        managed = False


class Fortune(models.Model):
    message = models.CharField(max_length=2048)

    class Meta:
        app_label = "bench"
        db_table = "fortune"
        managed = False


def as_dict(world: World) -> dict[str, int]:
    return {"id": world.id, "randomNumber": world.randomnumber}


def hello(request: object) -> JsonResponse:
    return JsonResponse({"message": MESSAGE})


def plain(request: object) -> HttpResponse:
    return HttpResponse(MESSAGE, content_type="text/plain")


def single(request: object) -> JsonResponse:
    return JsonResponse(as_dict(World.objects.get(id=random_id())))


def queries(request: object) -> JsonResponse:
    count = clamp(request.GET.get("queries"))  # type: ignore[attr-defined]
    return JsonResponse([as_dict(World.objects.get(id=random_id())) for _ in range(count)],
                        safe=False)  # fmt: skip


def fortunes(request: object) -> HttpResponse:
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message=ADDED_FORTUNE))
    rows.sort(key=lambda fortune: fortune.message)
    return render(request, "fortunes.html", {"fortunes": rows})  # type: ignore[arg-type]


def updates(request: object) -> JsonResponse:
    count = clamp(request.GET.get("queries"))  # type: ignore[attr-defined]
    with transaction.atomic():
        worlds = [World.objects.get(id=random_id()) for _ in range(count)]
        for world in sorted(worlds, key=lambda w: w.id):
            world.randomnumber = random_id()
            world.save(update_fields=["randomnumber"])
    return JsonResponse([as_dict(world) for world in worlds], safe=False)


urlpatterns = [
    path("json", hello), path("plaintext", plain), path("db", single),
    path("queries", queries), path("fortunes", fortunes), path("updates", updates),
]  # fmt: skip
app = get_asgi_application()
