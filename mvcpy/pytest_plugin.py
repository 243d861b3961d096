"""pytest fixtures for mvcpy projects: define an ``app`` fixture and use ``client``, ``db``
``outbox`` and ``jobs``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from mvcpy.testing import TestClient

if TYPE_CHECKING:
    from mvcpy.app import App
    from mvcpy.jobs.testing import EnqueuedJobs
    from mvcpy.mail.backends import SentMessage
    from mvcpy.orm.session import DbSession

__all__ = ["client", "db", "jobs", "outbox"]


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


@pytest.fixture
def outbox(app: App) -> list[SentMessage]:
    """The mail the app sent during the test, oldest first (``[mail] backend = "memory"``,
    the default under ``MVCPY_ENV=test``)."""
    from mvcpy.mail.backends import MemoryBackend

    backend = app.services["mail"].backend
    if not isinstance(backend, MemoryBackend):
        pytest.fail(
            f"the outbox fixture needs [mail] backend = 'memory' (the default in the test "
            f"environment); this app's is {type(backend).__name__}"
        )
    backend.outbox.clear()
    return backend.outbox


@pytest.fixture
def jobs(app: App) -> EnqueuedJobs:
    """The jobs the app queued during the test, to look at and run (``jobs.run()``);
    ``[jobs] backend = "memory"``, the default under ``MVCPY_ENV=test``."""
    from mvcpy.jobs.testing import EnqueuedJobs

    engine = app.services["jobs"]
    if engine.backend != "memory":
        pytest.fail(
            f"the jobs fixture needs [jobs] backend = 'memory' (the default in the test "
            f"environment); this app's is {engine.backend}"
        )
    engine.queued.clear()
    return EnqueuedJobs(engine)
