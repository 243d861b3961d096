import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mvcpy import ConfigurationError
from mvcpy.cli import build_parser, find_app_spec, main

APP_MODULE = """
from mvcpy import App, Controller

class UsersController(Controller):
    def show(self, id: int):
        return {"id": id}

async def stamp(ctx, call_next):
    return await call_next(ctx)

app = App(__name__, env="test")
app.use(stamp)
app.router("/users/new", UsersController, "get:show", name="users.new")
app.router("/users/{id:int}", UsersController, "get:show", name="users.show")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "cliproj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(APP_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MVCPY_APP", raising=False)
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("cliproj")]:
        del sys.modules[name]


def test_find_app_spec(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_app_spec(project) == "cliproj.app:app"
    monkeypatch.setenv("MVCPY_APP", "x:y")
    assert find_app_spec(project) == "x:y"
    monkeypatch.delenv("MVCPY_APP")
    assert find_app_spec(project / "cliproj") == "app:app"
    empty = project / "empty"
    empty.mkdir()
    with pytest.raises(ConfigurationError, match="no app found"):
        find_app_spec(empty)


def test_routes_table(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["METHODS", "PATH", "NAME", "TARGET", "FILTERS"]
    row = next(line for line in lines if "users.show" in line)
    assert "GET" in row and "/users/{id:int}" in row and "UsersController.show" in row
    assert "stamp" in row


def test_routes_explain(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--explain", "/users/new"]) == 0
    out = capsys.readouterr().out
    assert "=> GET /users/new" in out and "users.new" in out
    # Nothing answers: exit 1, so that a script can tell.
    assert main(["routes", "--explain", "/users/7", "--method", "post"]) == 1
    assert "405" in capsys.readouterr().out
    assert main(["routes", "--explain", "/nowhere"]) == 1
    assert "=> 404" in capsys.readouterr().out


def test_bad_app_spec_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--app", "cliproj.app:missing"]) == 2
    assert "is not an mvcpy App" in capsys.readouterr().err


def test_an_app_module_that_is_not_there_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for spec in ("nosuch.app:app", "cliproj.nosuch:app"):
        assert main(["check", "--app", spec]) == 2
        err = capsys.readouterr().err
        assert f"cannot import {spec}: there is no module" in err
        assert "run the command in the project's directory" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("mvcpy 0.1.0")
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])  # as most command-line tools answer it
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == said


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Yield every command and subcommand of the parser with its words."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _commands(sub, (*prefix, name))


def test_every_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    commands = dict(_commands(build_parser()))
    expected = {"run", "serve", "shell", "routes", "db", "check", "templates", "openapi", "new"}
    assert expected | {"version"} <= {words[0] for words in commands}
    assert ("db", "upgrade") in commands and ("check", "urls") in commands
    for words in [(), *commands]:
        with pytest.raises(SystemExit) as exit_info:
            main([*words, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        examples = text.split("\nexamples:\n", 1)
        assert len(examples) == 2, f"mvcpy {' '.join(words)} --help has no examples:\n{text}"
        first = examples[1].splitlines()[0]
        assert first.startswith("  ") and "mvcpy " + " ".join(words) in examples[1], (
            f"mvcpy {' '.join(words)} --help: the examples do not use the command:\n{text}"
        )


def test_project_commands_work_from_any_folder_inside_the_project(tmp_path: Path) -> None:
    from mvcpy.project import create_project

    project = create_project("blog", tmp_path / "blog")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}

    def mvcpy(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mvcpy.cli", *args],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # The package's folder (where app.py is) used to fail with ModuleNotFoundError.
    upgraded = mvcpy(project / "blog", "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    for where in (project, project / "blog", project / "blog" / "views", project / "tests"):
        routes = mvcpy(where, "routes")
        assert routes.returncode == 0, (where, routes.stderr)
        assert " home " in routes.stdout
    outside = mvcpy(tmp_path, "routes")
    assert outside.returncode == 2
    assert outside.stderr.startswith(f"mvcpy: no app found in {tmp_path} or the folders above")
    assert len(outside.stderr.strip().splitlines()) == 1
