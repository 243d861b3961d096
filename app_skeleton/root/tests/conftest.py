"""Fixtures of the {{ project }} tests: the app, configured by the [test] section."""

import os

import pytest

os.environ["MVCPY_ENV"] = "test"  # before the app is imported: it reads its configuration then

from {{ project }}.app import app as project_app  # noqa: E402


@pytest.fixture
def app():
    """The app under test; mvcpy's `client` fixture calls it in-process."""
    return project_app
