"""prod refuses to start without a secret key, and says how to set one."""

from __future__ import annotations

import pytest

from ._servers import APP_SPEC, PYTHON, VENV_BIN, free_port, run_command

pytestmark = pytest.mark.e2e

DEFAULT_KEY = "mvcpy-insecure-development-key-change-me"

RUNNERS = {
    "uvicorn": lambda port: [
        PYTHON, "-m", "uvicorn", APP_SPEC, "--host", "127.0.0.1", "--port", str(port),
    ],
    "mvcpy-run": lambda port: [
        str(VENV_BIN / "mvcpy"), "run", "--app", APP_SPEC,
        "--host", "127.0.0.1", "--port", str(port), "--no-reload",
    ],
    "gunicorn": lambda port: [
        PYTHON, "-m", "gunicorn", "-k", "uvicorn_worker.UvicornWorker", "-w", "1",
        "-b", f"127.0.0.1:{port}", APP_SPEC,
    ],
}  # fmt: skip


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize(
    "secret", [None, DEFAULT_KEY, ""], ids=["unset", "default-key", "empty"]
)
def test_prod_without_a_secret_key_fails_at_startup(runner: str, secret: str | None) -> None:
    env = {"MVCPY_ENV": "prod"}
    if secret is not None:
        env["MVCPY_SECRET_KEY"] = secret
    # The server must exit by itself; the timeout (which kills it) would fail the test.
    result = run_command(RUNNERS[runner](free_port()), env, timeout=60)
    assert result.returncode != 0
    output = result.stderr + result.stdout
    assert "MVCPY_SECRET_KEY" in output, output
    assert "secret_key is not set for prod" in output, output
