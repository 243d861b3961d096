"""The settings of the database: ``[database]``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat

from mvcpy.config.section import SECRET_URL, Section, StrList

__all__ = ["DatabaseSettings"]


class DatabaseSettings(Section):
    """``[database]``: the engine's URL, pool and timeouts (docs/models.md).

    The timeouts keep a database that stops answering from taking the site with it:
    requests that need it get a 503 within seconds, the others keep answering.
    """

    #: empty: a SQLite file at ``instance/app.sqlite3`` under the project
    url: Annotated[str, SECRET_URL] = ""
    #: empty: the async driver of ``url`` (aiosqlite, psycopg)
    async_url: Annotated[str, SECRET_URL] = ""
    #: log every statement (never in prod)
    echo: bool = False
    pool_size: NonNegativeInt = 5
    #: -1: no limit
    max_overflow: Annotated[int, Field(ge=-1)] = 10
    #: seconds a request waits for a free pooled connection before its 503
    pool_timeout: PositiveFloat = 10
    #: seconds to open a connection (a server that accepts and never answers included)
    connect_timeout: PositiveFloat = 5
    #: seconds a statement may run (PostgreSQL statement_timeout, MySQL/MariaDB read and
    #: write timeouts, SQLite's busy timeout); 0: no limit
    statement_timeout: NonNegativeFloat = 30
    #: seconds before a pooled connection is replaced (-1: never)
    pool_recycle: Annotated[int, Field(ge=-1)] = 3600
    pool_pre_ping: bool = False
    #: commit the request's session after a successful action
    autocommit: bool = True
    #: a request's reads before its first write run outside a transaction (PostgreSQL at
    #: READ COMMITTED, SQLite): no BEGIN and COMMIT for a request that only reads
    read_outside_transaction: bool = True
    #: modules that define the models, for migrations and the shell
    models: StrList = Field(default_factory=list)
    #: count each request's SQL (X-Query-Count, Server-Timing, the debug page) and warn
    #: about N+1 patterns; ``None``: on with ``debug`` (development)
    inspect_queries: bool | None = None
    #: a SELECT run this many times in one request is logged as an N+1 pattern
    repeated_query_warning: Annotated[int, Field(ge=2)] = 3
