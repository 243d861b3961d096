"""What every TechEmpower-style app serves, per the TFB rules, and how an answer is checked.

The six test types: ``/json`` (a fresh ``{"message": "Hello, World!"}``), ``/plaintext``,
``/db`` (one random row of ``world``), ``/queries?queries=N`` (N random rows, one query
each; N clamped to 1..500, anything not a number is 1), ``/fortunes`` (every row of
``fortune`` plus one added at request time, sorted by message, escaped into an HTML
table), ``/updates?queries=N`` (N random rows read one by one, each given a new random
number, written back, returned). The apps read the database from ``BENCH_DB_URL``
(SQLAlchemy form) and the pool size from :data:`POOL_SIZE`.
"""

from __future__ import annotations

import html
import os
import random
from typing import Any

__all__ = [
    "ADDED_FORTUNE",
    "FORTUNES",
    "MESSAGE",
    "POOL_SIZE",
    "WORLD_ROWS",
    "clamp",
    "database_url",
    "dsn",
    "fortunes_html",
    "random_id",
]

WORLD_ROWS = 10_000
#: connections per app: the same for every implementation
POOL_SIZE = 4
MESSAGE = "Hello, World!"
ADDED_FORTUNE = "Additional fortune added at request time."

#: the 12 rows of the ``fortune`` table, as TFB's test data has them
FORTUNES: list[tuple[int, str]] = [
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. — Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "フレームワークのベンチマーク"),
]


def database_url() -> str:
    """The benchmark database, as a SQLAlchemy URL."""
    return os.environ["BENCH_DB_URL"]


def dsn() -> tuple[str, dict[str, str]]:
    """The benchmark database as asyncpg takes it, and its server settings (the schema)."""
    url, _, schema = database_url().partition("?options=-csearch_path%3D")
    settings = {"search_path": schema} if schema else {}
    return url.replace("postgresql+psycopg://", "postgresql://", 1), settings


def clamp(raw: Any) -> int:
    """``queries`` as the rules say: 1 to 500, anything not an integer is 1."""
    try:
        count = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(count, 1), 500)


def random_id() -> int:
    """A random ``world`` id."""
    return random.randint(1, WORLD_ROWS)


def fortunes_html(rows: list[tuple[int, str]]) -> str:
    """The page every implementation must produce for ``rows`` (sorted, escaped), for the
    check; each app renders it its own way."""
    cells = "".join(
        f"<tr><td>{id}</td><td>{html.escape(message)}</td></tr>" for id, message in rows
    )
    return (
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
        f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>"
    )
