"""The settings of the database: ``[database]``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeInt, PositiveFloat

from mvcpy.config.section import SECRET_URL, Section, StrList

__all__ = ["DatabaseSettings"]


class DatabaseSettings(Section):
    """``[database]``: the engine's URL and pool (docs/models.md)."""

    #: empty: a SQLite file at ``instance/app.sqlite3`` under the project
    url: Annotated[str, SECRET_URL] = ""
    #: empty: the async driver of ``url`` (aiosqlite, psycopg)
    async_url: Annotated[str, SECRET_URL] = ""
    #: log every statement (never in prod)
    echo: bool = False
    pool_size: NonNegativeInt = 5
    #: -1: no limit
    max_overflow: Annotated[int, Field(ge=-1)] = 10
    pool_timeout: PositiveFloat = 30
    #: seconds before a pooled connection is replaced (-1: never)
    pool_recycle: Annotated[int, Field(ge=-1)] = 3600
    pool_pre_ping: bool = False
    #: commit the request's session after a successful action
    autocommit: bool = True
    #: modules that define the models, for migrations and the shell
    models: StrList = Field(default_factory=list)
