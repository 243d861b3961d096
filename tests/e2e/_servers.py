"""Real servers for the end-to-end tests: start one, wait until it answers, stop it.

Every server is a subprocess bound to 127.0.0.1 on a free port, started in its own
session (process group) from the repository root (or a given directory), with the
``MVCPY_*`` variables of the calling environment removed so each test states the
configuration it runs under.
Its stdout and stderr go to one log file, attached to the report of any failing test
while the server runs. Teardown always terminates the server and, after a grace
period, kills its whole process group.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent
APP_SPEC = "tests.e2e.apps.basic:app"
#: A secret key for prod servers (anything but the framework's default works).
PROD_SECRET = "e2e-prod-secret-key-not-the-default-0123456789"

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

#: Servers currently running, so a failing test's report can carry their logs.
LIVE: list[ServerProcess] = []
_SERIAL = itertools.count(1)


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a subprocess: no inherited ``MVCPY_*``, the repo importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}
    # ``tests.e2e.apps.basic`` imports from the repository root in a fresh clone too.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    if extra:
        env.update(extra)
    return env


def _stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int | None:
    """Send ``sig``, wait, then kill the process group; return the exit code seen."""
    code: int | None = None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            code = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
    else:
        code = proc.returncode
    # The server ran in its own session: its group id is its pid. Anything left of it
    # (a worker that outlived its master) goes now.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)
    return code


class ServerProcess:
    """A server subprocess on 127.0.0.1: started, polled until it answers, stopped."""

    def __init__(
        self,
        name: str,
        argv: Callable[[int], Sequence[str]],
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        ready_path: str = "/",
        cwd: Path = REPO_ROOT,
    ) -> None:
        self.name = name
        self.cwd = cwd
        self.argv = argv
        self.env = server_env(env)
        # One file per server, never shared, so a log holds only this server's output.
        self.log_path = log_dir / f"{next(_SERIAL):03d}-{name}.log"
        self.ready_path = ready_path
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        """Return what the server wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def launch(self) -> None:
        """Start the process on a free port, without waiting for it."""
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                list(self.argv(self.port)),
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        LIVE.append(self)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        """Poll until the server answers HTTP (True), or exits or the time is up (False)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    client.get(self.base_url + self.ready_path)
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                return True
        return False

    def start(self, attempts: int = 3) -> None:
        """Start the server and wait until it answers HTTP; retry when the port was taken."""
        for _ in range(attempts):
            self.launch()
            if self.wait_ready():
                return
            code = self.stop()
            if "address already in use" not in self.log().lower():
                raise RuntimeError(
                    f"server {self.name!r} did not answer on {self.base_url} within "
                    f"{START_TIMEOUT:.0f}s (exit code {code})\n--- log ---\n{self.log()}"
                )
        raise RuntimeError(f"server {self.name!r}: no free port after {attempts} attempts")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the server (``sig``, then SIGKILL after a grace period); return its exit code."""
        if self.proc is None:
            return None
        try:
            self.exit_code = _stop_process(self.proc, sig)
        finally:
            if self in LIVE:
                LIVE.remove(self)
        return self.exit_code

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def uvicorn_argv(app: str = APP_SPEC) -> Callable[[int], list[str]]:
    """``python -m uvicorn APP`` on 127.0.0.1."""
    return lambda port: [
        PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


def run_command(
    argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion from the repo root; kill its process group on timeout."""
    return run_in_group(argv, timeout, cwd=REPO_ROOT, env=server_env(env))


def run_in_group(
    argv: Sequence[str], timeout: float, *, cwd: Path | str, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a command in its own process group; the whole group is killed on a timeout."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        # Reap and close the pipes even after a timeout.
        proc.communicate(timeout=STOP_TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
