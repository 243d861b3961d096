"""Jobs declared inside a test leave the registry when it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mvcpy.jobs.declare import REGISTRY


@pytest.fixture(autouse=True)
def _registry_kept() -> Iterator[None]:
    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)
