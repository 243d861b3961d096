"""Django's DATABASES entry for the benchmark database (``BENCH_DB_URL``), shared by the
Django apps of the orm and tfb suites."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from benchmarks.apps.orm_spec import database_url

__all__ = ["django_database"]


def django_database() -> dict[str, object]:
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
