"""Projects written by ``mvcpy new`` for the end-to-end tests, and commands run inside them.

Every command is a subprocess (the venv's ``mvcpy`` script, ``python -m ...``) with the
project as its working directory and on ``PYTHONPATH``, in its own process group, killed
whole when it outlives its timeout.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from ._servers import VENV_BIN, run_in_group, server_env

MVCPY = str(VENV_BIN / "mvcpy")


def run_in_project(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command in ``cwd`` with the project importable; with ``check``, fail on non-zero."""
    result = run_in_group(
        argv, timeout, cwd=cwd, env=server_env({"PYTHONPATH": str(cwd), **(env or {})})
    )
    if check:
        assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result


def new_project(parent: Path, *args: str, name: str = "demo") -> Path:
    """Run ``mvcpy new NAME [args]`` in ``parent``; return the project directory."""
    result = run_in_project([MVCPY, "new", name, *args], parent)
    project = parent / name
    assert f"in {project}" in result.stdout
    return project
