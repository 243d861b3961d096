"""What every ORM benchmark app serves: one row, and a list of 20 rows, as JSON.

The apps read the database URL from ``BENCH_DB_URL`` (set by ``benchmarks/orm.py``),
whose table ``bench_items`` holds :data:`ROWS` rows.
"""

from __future__ import annotations

import os

__all__ = ["ENDPOINTS", "LIST_SIZE", "POOL_SIZE", "ROWS", "TABLE", "database_url", "row_values"]

TABLE = "bench_items"
ROWS = 200
LIST_SIZE = 20
#: Connections per app: small, so five servers stay far below PostgreSQL's limit.
POOL_SIZE = 4

#: Endpoint name -> request path.
ENDPOINTS: dict[str, str] = {"one row": "/items/42", "20 rows": "/items"}


def database_url() -> str:
    """The SQLAlchemy URL of the benchmark database."""
    return os.environ["BENCH_DB_URL"]


def row_values(n: int) -> dict[str, object]:
    """The values of row ``n`` (1-based)."""
    return {"id": n, "name": f"item {n}", "price": n * 1.25, "stock": n % 17}
