"""``mvcpy check``: one line per production-readiness check, exit 1 when any fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mvcpy import readiness
from mvcpy.cli import main
from mvcpy.readiness import Result, run_checks

SECRET = "a-production-secret-that-is-long-enough-0123456789"


@pytest.fixture
def project(ready_project: Path) -> Path:
    """The small project of conftest.py, in prod unless a test says otherwise."""
    return ready_project


def add_conf(project: Path, text: str) -> None:
    """Append sections to the project's conf/app.toml."""
    with (project / "conf" / "app.toml").open("a") as conf:
        conf.write(text)


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, str]]:
    """Run ``mvcpy check``; return the exit code and {check name: its status and message}."""
    code = main(["check", *args])
    lines = capsys.readouterr().out.splitlines()
    rows = {}
    for line in lines[1:-1]:
        status, rest = line[:5].strip(), line[6:]
        if status:
            name, _, message = rest.partition("  ")
            rows[name.strip()] = f"{status} {message.strip()}"
    return code, rows


def test_a_fresh_project_fails_on_the_secret_key_and_allowed_hosts(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"checking readyproj ({project}) in prod"
    assert lines[-1] == "2 check(s) failed: fix them before deploying"
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ["FAIL", "secret_key"],
        ["ok", "debug"],
        ["FAIL", "allowed_hosts"],
        ["skip", "migrations"],
        ["ok", "templates"],
        ["ok", "urls"],
        ["ok", "cache"],  # the components' checks follow the framework's
        ["ok", "i18n"],
    ]
    assert "the development default: set MVCPY_SECRET_KEY" in lines[1]
    assert "secrets.token_urlsafe(32)" in lines[1]
    assert 'set allowed_hosts = ["readyproj.example.com"] in [prod]' in lines[3]
    assert "1 template(s) compile" in lines[5]


def test_a_ready_project_passes(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_conf(project, '[prod]\nallowed_hosts = ["example.com"]\n')
    monkeypatch.setenv("MVCPY_SECRET_KEY", SECRET)
    code, rows = run_check(capsys)
    assert code == 0, rows
    assert rows["secret_key"] == f"ok set ({len(SECRET)} characters)"
    assert rows["allowed_hosts"] == "ok example.com"
    assert main(["check", "--app", "readyproj.app:app"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ready for production"


@pytest.mark.parametrize(
    ("setup", "name", "expected"),
    [
        (
            lambda p: add_conf(p, "[prod]\ndebug = true\n"),
            "debug",
            "FAIL debug = true in the prod configuration: set debug = false in [prod]",
        ),
        (
            lambda p: add_conf(p, '[prod]\nallowed_hosts = ["*"]\n'),
            "allowed_hosts",
            'FAIL "*" accepts any Host header',
        ),
        (
            lambda p: add_conf(p, '[prod]\nsecret_key = "short"\n'),
            "secret_key",
            "FAIL only 5 characters (at least 32)",
        ),
        (
            lambda p: (p / "views/home/broken.html").write_text("{% if %}"),
            "templates",
            "FAIL 1 of 2 template(s) do not compile: fix them (mvcpy templates check)",
        ),
        (
            lambda p: (p / "views/home/link.html").write_text("{{ url_for('hom') }}"),
            "urls",
            "FAIL 1 url_for call(s) cannot work: fix them (mvcpy check urls)",
        ),
    ],
)
def test_each_failure_says_how_to_fix_it(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    setup: Callable[[Path], object],
    name: str,
    expected: str,
) -> None:
    setup(project)
    code, rows = run_check(capsys)
    assert code == 1
    assert rows[name].startswith(expected), rows[name]


def test_the_problems_are_listed_under_their_check(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "views/home/link.html").write_text("{{ url_for('hom') }}")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    detail = next(line for line in out.splitlines() if "link.html" in line)
    assert detail.startswith(" " * 10)
    assert "link.html:1: url_for: no route named 'hom'; did you mean 'home'?" in detail


def test_env_chooses_the_configuration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_conf(project, "[test]\ndebug = true\n")
    code, rows = run_check(capsys, "--env", "test")
    assert code == 1
    assert rows["debug"].startswith("FAIL debug = true in the test configuration")


def test_a_check_that_crashes_is_a_named_failure(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def check_queue(app: object) -> Result:
        raise OSError("queue  unreachable")

    monkeypatch.setattr(readiness, "CHECKS", (check_queue,))
    from mvcpy import App

    results = run_checks(App(root_path=project, env="prod"))
    (result,) = [r for r in results if r.name == "queue"]
    assert result == Result("queue", False, "could not check: queue unreachable", fatal=True)


def test_check_urls_keeps_working(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "urls"]) == 0
    assert "every url_for is valid" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
