"""Format generated Python with ruff when the project's environment has it.

Rails' generators run RuboCop on what they write; mvcpy's run ``ruff format`` the same
way, so that a project whose tests run ``ruff format --check`` accepts generated code
(long imports and ``Field(...)`` calls wrapped, Alembic's revisions in ruff's style).
Without ruff the text is left as the templates wrote it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["format_file", "format_source", "ruff_executable"]


def ruff_executable() -> str | None:
    """``ruff`` beside this Python (the project's virtualenv), else on ``PATH``."""
    return shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def _run(argv: list[str], text: str | None, cwd: Path) -> subprocess.CompletedProcess[str] | None:
    ruff = ruff_executable()
    if ruff is None:
        return None
    try:
        return subprocess.run(
            [ruff, *argv],
            input=text,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def format_source(text: str, path: Path) -> str:
    """``text`` as ruff formats it for the file ``path`` (whose project's settings apply);
    ``text`` unchanged without ruff or when ruff cannot read it."""
    directory = path.parent if path.parent.is_dir() else Path.cwd()
    done = _run(["format", "--no-cache", "--stdin-filename", str(path), "-"], text, directory)
    return done.stdout if done is not None and done.returncode == 0 else text


def format_file(path: Path) -> bool:
    """Format ``path`` in place; return whether ruff did."""
    done = _run(["format", "--quiet", "--no-cache", str(path)], None, path.parent)
    return done is not None and done.returncode == 0
