"""Fixtures of the end-to-end tests: real servers on 127.0.0.1, stopped even on failure.

A failing e2e test's report carries the logs of the servers running at the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ._browser import start_chromium
from ._servers import LIVE, PROD_SECRET, REPO_ROOT, ServerProcess, uvicorn_argv

if TYPE_CHECKING:
    from selenium.webdriver import Chrome


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and item.get_closest_marker("e2e") is not None:
        for server in list(LIVE):
            report.sections.append((f"server {server.name} log", server.log()[-20000:]))
    return report


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the servers' log files."""
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture
def start_server(server_logs: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start servers for one test: ``start_server(name, argv_for_port, env=..., cwd=...)``.

    Every server started through it is stopped when the test ends, pass or fail.
    """
    servers: list[ServerProcess] = []

    def start(
        name: str,
        argv: Callable[[int], Sequence[str]],
        env: Mapping[str, str] | None = None,
        ready_path: str = "/",
        cwd: Path | None = None,
    ) -> ServerProcess:
        server = ServerProcess(name, argv, server_logs, env, ready_path, cwd or REPO_ROOT)
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in reversed(servers):
            server.stop()


@pytest.fixture(scope="module")
def uvicorn_prod(server_logs: Path) -> Iterator[ServerProcess]:
    """The basic app under ``python -m uvicorn`` in prod, shared by a module's tests."""
    server = ServerProcess(
        "uvicorn-prod",
        uvicorn_argv(),
        server_logs,
        {"MVCPY_ENV": "prod", "MVCPY_SECRET_KEY": PROD_SECRET},
    )
    with server:
        yield server


@pytest.fixture
def http(uvicorn_prod: ServerProcess) -> Iterator[httpx.Client]:
    """An httpx client for the prod uvicorn server; redirects are not followed."""
    with httpx.Client(base_url=uvicorn_prod.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chrome]:
    """A headless Chromium with an empty profile, quit when the test ends."""
    chrome = start_chromium(tmp_path / "chromium-profile")
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(params=["sqlite", "postgres"])
def project_database(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The environment that points a generated project at its database: SQLite (the
    default) or a PostgreSQL schema made for this test and dropped after it."""
    if request.param == "sqlite":
        yield {}
        return
    from sqlalchemy import create_engine, text

    url = request.getfixturevalue("postgres_url")
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        # Every connection of the project (migrations, tests, workers) uses the schema.
        yield {"MVCPY_DATABASE__URL": f"{url}?options=-csearch_path%3D{schema}"}
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()
