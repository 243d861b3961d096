"""The wheel built from the source tree, and a fresh virtual environment with only it.

``tests/conftest.py`` builds both once a test session (the ``wheel`` and ``fresh_venv``
fixtures), for the packaging tests and for the end-to-end tests that must run an
installed copy rather than the checkout. The fresh venv has no system site-packages
and nothing but the wheel, installed without its dependencies and without the network;
:func:`with_test_dependencies` lends it the test environment's packages for a while.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._servers import REPO_ROOT, run_in_group

__all__ = ["build_wheel", "clean_env", "make_venv", "site_packages", "with_test_dependencies"]

_DEPS_PTH = "_test_environment_deps.pth"


def clean_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without ``MVCPY_*``, ``PYTHON*``, venv and pip settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MVCPY_", "PYTHON", "VIRTUAL_ENV", "PIP_"))
    }
    env.update(extra)
    return env


def build_wheel(out: Path) -> Path:
    """Build the wheel from the source tree into ``out``, as a release would; return it."""
    result = run_in_group(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO_ROOT)],
        timeout=240,
        cwd=out,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = sorted(out.glob("mvcpy_web-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def make_venv(venv: Path, wheel: Path) -> Path:
    """Create a virtual environment at ``venv`` with only ``wheel`` installed; return it."""
    result = run_in_group(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        120,
        env=clean_env(),
        cwd=venv.parent,
    )
    assert result.returncode == 0, result.stderr
    # The test environment's pip installs into the new interpreter; nothing is downloaded.
    result = run_in_group(
        [
            sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
            "--no-deps", "--no-index", "--disable-pip-version-check", str(wheel),
        ],
        180,
        env=clean_env(),
        cwd=venv,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return venv


def site_packages(venv: Path) -> Path:
    """Return the venv's site-packages directory."""
    return next((venv / "lib").glob("python3*/site-packages"))


@contextmanager
def with_test_dependencies(venv: Path) -> Iterator[Path]:
    """Let the venv import the test environment's packages (after its own) for a while.

    A ``.pth`` file appends the test environment's site-packages to the venv's path, so
    the wheel's copy of mvcpy comes first and its dependencies come from the tests'
    environment. It is removed on exit: the packaging tests check the bare venv.
    """
    deps = site_packages(venv) / _DEPS_PTH
    deps.write_text(sysconfig.get_paths()["purelib"] + "\n")
    try:
        yield site_packages(venv)
    finally:
        deps.unlink()
