"""Fixtures of the {{ project }} tests: the app, configured by the [test] section."""

import os

import pytest
from mvcpy.migrate import upgrade

# conf/app.toml's [test] section; set before the fixture below imports the app, which
# reads its configuration when it is created.
os.environ["MVCPY_ENV"] = "test"


@pytest.fixture(scope="session")
def app():
    """The app under test, its database migrated to the latest revision once a run.

    mvcpy's `client` and `db` fixtures use it.
    """
    from {{ project }}.app import app as project_app

    upgrade(project_app)
    return project_app
