"""pytest fixtures for mvcpy projects: define an ``app`` fixture and use ``client`` and ``db``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from mvcpy.testing import TestClient

if TYPE_CHECKING:
    from mvcpy.app import App
    from mvcpy.orm.session import DbSession

__all__ = ["client", "db"]


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    """Yield a started :class:`~mvcpy.testing.TestClient` for the project's ``app`` fixture."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db(app: App) -> Iterator[DbSession]:
    """Yield a session in a transaction rolled back after the test; requests share it."""
    from mvcpy.orm.testing import transactional_session

    with transactional_session(app.database) as session:
        yield session
