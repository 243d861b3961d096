"""How many gunicorn workers will serve the project, as gunicorn itself would read it."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

__all__ = ["configured_workers"]


def configured_workers(root: Path) -> int:
    """Return ``workers`` of the project's ``gunicorn.conf.py`` (next to the app's package or
    in it), which reads ``WEB_CONCURRENCY``; 1, gunicorn's default, when there is none."""
    for folder in (root, root.parent):
        conf = folder / "gunicorn.conf.py"
        if conf.is_file():
            try:
                workers = runpy.run_path(str(conf)).get("workers", 1)
            except Exception:  # not ours to judge: gunicorn reports it when it starts
                break
            return int(workers) if isinstance(workers, int | str) else 1
    concurrency = os.environ.get("WEB_CONCURRENCY", "")
    return int(concurrency) if concurrency.isdigit() else 1
