"""``mvcpy serve``: where it refuses, and the gunicorn command it becomes.

The real thing (gunicorn serving a generated project) is tests/e2e/test_deploy.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mvcpy.cli import main, serve

SECRET = "a-production-secret-that-is-long-enough-0123456789"


@pytest.fixture
def project(ready_project: Path) -> Path:
    """The small project of conftest.py with a gunicorn.conf.py beside its package."""
    (ready_project.parent / "gunicorn.conf.py").write_text('workers = 1\nbind = "127.0.0.1:0"\n')
    with (ready_project / "conf" / "app.toml").open("a") as conf:
        conf.write('[prod]\nallowed_hosts = ["example.com"]\n')
    return ready_project


class Exec:
    """Stands in for os.execv: records the command instead of becoming it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], str | None]] = []

    def __call__(self, path: str, argv: list[str]) -> None:
        self.calls.append((path, list(argv), os.environ.get("MVCPY_ENV")))


@pytest.fixture
def execv(monkeypatch: pytest.MonkeyPatch) -> Exec:
    fake = Exec()
    monkeypatch.setattr(serve.os, "execv", fake)
    return fake


def test_outside_a_project_it_says_where_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert f"no gunicorn.conf.py in {tmp_path}: run mvcpy serve in the project's directory" in err
    assert "Traceback" not in err
    assert main(["serve", "--config", "missing.py"]) == 2
    assert "--config missing.py: no such file" in capsys.readouterr().err


def test_the_default_secret_key_refuses_to_serve(
    project: Path, execv: Exec, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "FAIL  secret_key" in err and "MVCPY_SECRET_KEY" in err
    assert "mvcpy serve: not serving readyproj.app:app in prod: secret_key failed" in err
    assert "or pass --no-check" in err
    assert execv.calls == []


def test_a_ready_project_becomes_gunicorn_with_the_config_and_flags(
    project: Path, execv: Exec, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MVCPY_SECRET_KEY", SECRET)
    main(["serve", "-w", "3", "-b", "127.0.0.1:9001", "-b", "unix:/tmp/x.sock", "--", "--reload"])
    ((path, argv, env),) = execv.calls
    config = str(project.parent / "gunicorn.conf.py")
    assert path == sys.executable
    assert argv == [
        sys.executable, "-m", "gunicorn", "--config", config, "--workers", "3",
        "--bind", "127.0.0.1:9001", "--bind", "unix:/tmp/x.sock", "--reload", "readyproj.app:app",
    ]  # fmt: skip
    assert env == "prod"  # the workers inherit it
    assert "mvcpy serve: -m gunicorn --config" in capsys.readouterr().err


def test_non_fatal_problems_are_printed_and_serving_goes_on(
    project: Path, execv: Exec, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MVCPY_SECRET_KEY", SECRET)
    monkeypatch.setenv("MVCPY_ALLOWED_HOSTS", "[]")
    main(["serve", "--env", "test"])
    assert "FAIL  allowed_hosts" in capsys.readouterr().err
    assert execv.calls[0][2] == "test"


def test_no_check_skips_the_checks(project: Path, execv: Exec) -> None:
    main(["serve", "--no-check", "--app", "readyproj.app:app"])
    assert execv.calls[0][1][-1] == "readyproj.app:app"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "-w", "0"], "argument -w/--workers: must be at least 1"),
        (["serve", "-w", "many"], "argument -w/--workers: 'many' is not a whole number"),
        (["serve", "--env", "staging"], "argument --env: invalid choice: 'staging'"),
    ],
)
def test_bad_flags_exit_2_with_the_reason(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_stray_argument_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "readyproj.app:app"]) == 2
    assert "unexpected argument 'readyproj.app:app': name the app with --app" in (
        capsys.readouterr().err
    )
