"""Projects written by ``mvcpy new`` for the end-to-end tests, and commands run inside them.

Every command is a subprocess (the venv's ``mvcpy`` script, ``python -m ...``) with the
project as its working directory and on ``PYTHONPATH``, in its own process group, killed
whole when it outlives its timeout.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ._servers import PYTHON, VENV_BIN, run_in_group, server_env

MVCPY = str(VENV_BIN / "mvcpy")
#: pytest plugins of the test environment that projects do not use; each costs seconds
#: of start-up (Faker, Hypothesis, Schemathesis), so a project's own run leaves them out.
_UNUSED_PLUGINS = ("cacheprovider", "faker", "hypothesispytest", "schemathesis", "anyio")


def project_pytest(python: str = PYTHON) -> list[str]:
    """Return the command that runs a project's own tests: ``python -m pytest -q``."""
    disabled = [arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]
    return [python, "-m", "pytest", "-q", *disabled]


def run_in_project(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    check: bool = True,
    installed: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a command in ``cwd`` with the project importable; with ``check``, fail on non-zero.

    ``installed`` is for an installed copy of mvcpy (a venv with the wheel): the
    checkout is kept off the path, and so is every inherited ``PYTHON*`` variable.
    """
    if installed:
        from ._wheel import clean_env

        environment = clean_env(PYTHONUNBUFFERED="1", **(env or {}))
    else:
        environment = server_env({"PYTHONPATH": str(cwd), **(env or {})})
    result = run_in_group(argv, timeout, cwd=cwd, env=environment)
    if check:
        assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result


def new_project(
    parent: Path, *args: str, name: str = "demo", mvcpy: str = MVCPY, installed: bool = False
) -> Path:
    """Run ``mvcpy new NAME [args]`` in ``parent``; return the project directory."""
    result = run_in_project([mvcpy, "new", name, *args], parent, installed=installed)
    project = parent / name
    assert f"in {project}" in result.stdout
    return project
