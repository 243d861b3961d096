"""Shared fixtures: a fresh app rooted in a temporary project directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., App]:
    """Build an App rooted at ``tmp_path`` (templates under ``tmp_path/views``)."""

    def build(**config: Any) -> App:
        env = config.pop("env", "test")
        return App(root_path=tmp_path, env=env, config=config)

    return build


@pytest.fixture
def views(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a template under the app's ``views/`` directory."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / "views" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
