"""An app with the operations pages on (no login: the allow-list only), for the gunicorn
test: every answer carries the pid of the worker that gave it. ``MVCPY_OPS__STATE_DIR``
says where the workers share their numbers."""

from __future__ import annotations

import os
from typing import Any

from mvcpy import App

app = App(
    __name__,
    config={
        "app_name": "e2e-ops",
        "ops": {"enabled": True, "permission": "", "interval": 0.2},
        "health": {"database": False},
    },
)


def hello(ctx: Any) -> Any:
    """Say which worker answered."""
    return {"pid": os.getpid()}, 200, {"x-worker-pid": str(os.getpid())}


app.get("/hello", hello, name="hello")
