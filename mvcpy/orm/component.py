"""The database component: ``[database]`` and the ``database`` service, built on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mvcpy.components import ServiceComponent, Setup
from mvcpy.orm.settings import DatabaseSettings

if TYPE_CHECKING:
    from mvcpy.orm.database import Database

__all__ = ["DatabaseComponent"]


class DatabaseComponent(ServiceComponent):
    """Publish the app's :class:`~mvcpy.orm.database.Database`; dispose of it at shutdown.

    The database is built on first use, so an app that never touches it never imports
    SQLAlchemy's engine code; building it also answers ``IntegrityError`` with 409 unless
    the project handles it itself.
    """

    name = "database"
    service = "database"
    sections = {"database": DatabaseSettings}

    def install(self, setup: Setup) -> None:
        """Publish the database; in development, inspect each request's queries."""
        super().install(setup)
        settings = setup.settings(DatabaseSettings)
        inspect = settings.inspect_queries
        if inspect if inspect is not None else setup.debug:
            from mvcpy.orm.inspector import QueryInspector

            setup.add_filter(QueryInspector(settings.repeated_query_warning))

    def build(self, setup: Setup) -> Database:
        """Build the database from ``[database]``."""
        from sqlalchemy.exc import IntegrityError

        from mvcpy.orm.database import Database
        from mvcpy.orm.errors import integrity_error_handler

        database = Database(
            setup.settings(DatabaseSettings), root_path=setup.root_path, env=setup.env
        )
        setup.error_handler(IntegrityError, integrity_error_handler, replace=False)
        return database

    async def startup(self) -> None:
        """Log one line when the project's database is behind its migrations."""
        setup = self.setup
        if setup is not None and (setup.root_path / "migrations" / "versions").is_dir():
            from mvcpy.migrate import check_on_startup

            check_on_startup(setup.root_path, setup.services[self.service])

    async def shutdown(self) -> None:
        """Dispose of the engines' pools, if they were built."""
        database = self.built()
        if database is not None:
            await database.dispose()
