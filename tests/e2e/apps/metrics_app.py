"""An app with the Prometheus endpoint on, for the gunicorn metrics test: every answer
carries the pid of the worker that gave it."""

from __future__ import annotations

import os
from typing import Any

from mvcpy import App

app = App(
    __name__,
    config={"app_name": "e2e-metrics", "metrics": {"enabled": True}},
)


def hello(ctx: Any) -> Any:
    """Say which worker answered."""
    return {"pid": os.getpid()}, 200, {"x-worker-pid": str(os.getpid())}


app.get("/hello", hello, name="hello")
