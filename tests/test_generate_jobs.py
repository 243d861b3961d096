"""``mvcpy generate jobs``: the jobs module and its tests pass in the new project; the
queue's revision creates and drops the queue on PostgreSQL and leaves SQLite alone."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mvcpy.cli import main
from tests.test_generate_auth import PACKAGE, _checked, _make, _run

MVCPY = str(Path(sys.executable).parent / "mvcpy")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _make(tmp_path, monkeypatch)


def test_generate_jobs_writes_jobs_whose_tests_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "jobs"]) == 0
    out = capsys.readouterr().out
    for written in ("shop/jobs.py", "tests/test_jobs.py"):
        assert f"    create  {written}\n" in out
    (revision,) = (project / PACKAGE / "migrations" / "versions").glob("*_create_the_job_queue.py")
    assert "schema.upgrade(op.get_bind())" in revision.read_text()
    assert "4 passed" in _checked(project)  # the home page's 2 and the jobs' 2
    assert main(["generate", "jobs"]) == 0  # again: the revision is kept, not written twice
    assert "kept" in capsys.readouterr().out
    assert len(list((project / PACKAGE / "migrations" / "versions").glob("*_job_queue.py"))) == 1


def _objects(engine: object, schema: str) -> dict[str, int]:
    queries = {
        "tables": "SELECT count(*) FROM pg_tables WHERE schemaname = :s "
        "AND tablename LIKE 'procrastinate%%'",
        "functions": "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = :s AND p.proname LIKE 'procrastinate%%'",
        "types": "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = :s AND t.typname LIKE 'procrastinate%%'",
    }
    with engine.connect() as connection:  # type: ignore[attr-defined]
        return {k: connection.execute(text(q), {"s": schema}).scalar() for k, q in queries.items()}


def test_the_revision_creates_and_drops_the_queue_on_postgresql(
    project: Path, postgres_url: str
) -> None:
    assert main(["generate", "jobs"]) == 0
    schema = f"jobs_gen_{uuid.uuid4().hex[:10]}"
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    env = {"MVCPY_DATABASE__URL": f"{postgres_url}?options=-csearch_path%3D{schema}"}
    try:
        _run(project, MVCPY, "db", "upgrade", env=env)
        made = _objects(engine, schema)
        assert made["tables"] == 4 and made["functions"] > 10 and made["types"] >= 3
        # the queue's tables are not the models': the models still match the migrations
        assert "the models match the migrations" in _run(project, MVCPY, "db", "check", env=env)
        assert "at head and the models match" in _run(project, MVCPY, "db", "status", env=env)
        assert "STATE" in _run(project, MVCPY, "jobs", env=env)  # the queue answers, empty
        _run(project, MVCPY, "db", "rollback", env=env)
        assert _objects(engine, schema) == {"tables": 0, "functions": 0, "types": 0}
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
