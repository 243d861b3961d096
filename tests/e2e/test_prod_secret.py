"""prod refuses to start without a secret key, and says how to set one."""

from __future__ import annotations

from pathlib import Path

import pytest

from mvcpy.config import DEFAULT_SECRET_KEY

from ._servers import APP_SPEC, PYTHON, VENV_BIN, ServerProcess

pytestmark = pytest.mark.e2e

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


CASES = [
    *(pytest.param(runner, None, id=f"{runner}-unset") for runner in sorted(RUNNERS)),
    pytest.param("uvicorn", DEFAULT_SECRET_KEY, id="uvicorn-default-key"),
    pytest.param("uvicorn", "", id="uvicorn-empty"),
]


@pytest.mark.parametrize(("runner", "secret"), CASES)
def test_prod_without_a_secret_key_fails_at_startup(
    server_logs: Path, runner: str, secret: str | None
) -> None:
    env = {"MVCPY_ENV": "prod"}
    if secret is not None:
        env["MVCPY_SECRET_KEY"] = secret
    server = ServerProcess(f"prod-no-secret-{runner}-{secret!r}", RUNNERS[runner], server_logs, env)
    try:
        server.launch()
        answered = server.wait_ready(timeout=30)
        assert not answered, (
            f"{runner} served HTTP in prod without a secret key: it must refuse to start\n"
            + server.log()
        )
        assert server.proc is not None
        assert server.proc.poll() is not None, f"{runner} neither served nor exited\n{server.log()}"
        assert server.proc.returncode != 0
        log = server.log()
        assert "secret_key is not set for prod" in log, log
        assert "MVCPY_SECRET_KEY" in log, log
    finally:
        server.stop()
