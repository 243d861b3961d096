"""pytest fixtures for mvcpy projects: define an ``app`` fixture and use ``client``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from mvcpy.testing import TestClient

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["client"]


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    """Yield a started :class:`~mvcpy.testing.TestClient` for the project's ``app`` fixture."""
    with TestClient(app) as test_client:
        yield test_client
