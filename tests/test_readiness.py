"""``mvcpy check``: one line per production-readiness check, exit 1 when any fails."""

from __future__ import annotations

import sys
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


def forget_app() -> None:
    """Drop the imported project, so that the next check reads its files again."""
    for module in [m for m in sys.modules if m.startswith("readyproj")]:
        del sys.modules[module]


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
        ["WARN", "security_headers"],  # on in prod by default; no CSP configured
        ["ok", "session_cookie"],
        ["ok", "csrf"],
        ["skip", "auth_throttle"],  # the components' checks follow the framework's
        ["ok", "cache"],
        ["ok", "i18n"],
        ["WARN", "mail"],  # from webmaster@localhost
        ["ok", "jobs"],  # none declared
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
    ("conf", "name", "expected"),
    [
        (
            "[prod.filters]\nsecurity_headers = false\n",
            "security_headers",
            "FAIL off: responses lack X-Content-Type-Options, X-Frame-Options and "
            "Referrer-Policy; set [filters] security_headers = true "
            '(or accept it: [checks] silence = ["security_headers"])',
        ),
        (
            "[prod.filters.security_headers]\nhsts = false\n",
            "security_headers",
            "FAIL HSTS is off",
        ),
        ("[prod.session]\nsecure = false\n", "session_cookie", "FAIL secure = false sends it"),
        ("[prod.session]\nhttponly = false\n", "session_cookie", "FAIL httponly = false"),
        ('[prod.session]\nsamesite = "None"\n', "session_cookie", 'FAIL samesite = "None"'),
    ],
)
def test_the_security_checklist_fails_what_is_switched_off(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    conf: str,
    name: str,
    expected: str,
) -> None:
    add_conf(project, '[prod]\nallowed_hosts = ["example.com"]\n' + conf)
    monkeypatch.setenv("MVCPY_SECRET_KEY", SECRET)
    code, rows = run_check(capsys)
    assert code == 1
    assert rows[name].startswith(expected), rows[name]
    # An explicit opt-out, written in the configuration, is accepted and shown.
    add_conf(project, f'[prod.checks]\nsilence = ["{name}"]\n')
    forget_app()
    code, rows = run_check(capsys)
    assert code == 0, [row for row in rows.items() if row[1].startswith("FAIL")]
    assert rows[name].startswith("skip silenced in [checks] silence: "), rows[name]


def test_a_project_with_views_and_no_csrf_protection_fails(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = project / "app.py"
    app.write_text(app.read_text().replace("app.use(CSRFProtect())\n", ""))
    add_conf(project, '[prod]\nallowed_hosts = ["example.com"]\n')
    monkeypatch.setenv("MVCPY_SECRET_KEY", SECRET)
    code, rows = run_check(capsys)
    assert code == 1
    assert rows["csrf"].startswith("FAIL off: another site can submit this site's forms")
    forget_app()
    add_conf(
        project,
        "[prod.filters.security_headers]\ncontent_security_policy = \"default-src 'self'\"\n",
    )
    code, rows = run_check(capsys)
    assert rows["security_headers"] == (
        "ok nosniff nosniff, frame DENY, referrer strict-origin-when-cross-origin, CSP, "
        "HSTS over HTTPS"
    )


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
