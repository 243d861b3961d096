"""The ``mvcpy`` command: ``run`` serves the app, ``routes`` lists and explains, ``version``."""

from __future__ import annotations

import importlib.metadata
import platform
import signal
from collections.abc import Callable

import httpx
import pytest

from ._servers import APP_SPEC, VENV_BIN, ServerProcess, run_command
from .apps.basic import BOOM_DETAIL

pytestmark = pytest.mark.e2e

MVCPY = str(VENV_BIN / "mvcpy")


def mvcpy_run_argv(port: int) -> list[str]:
    return [
        MVCPY, "run", "--app", APP_SPEC, "--host", "127.0.0.1", "--port", str(port), "--no-reload",
    ]  # fmt: skip


def test_mvcpy_run_serves_the_app_in_dev(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server("mvcpy-run", mvcpy_run_argv)
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        response = http.get("/hello")
        assert response.status_code == 200
        assert response.text.startswith("hello from")
        assert http.get("/json").json()["env"] == "dev"
        assert http.get("/users/a%2Fb").json() == {"name": "a/b"}
        assert http.get("/api/ping").headers["x-api-filter"] == "on"
        state = http.get("/startup").json()
        assert state["started"] is True
        # --no-reload: no reloader parent, the command's own process serves.
        assert state["startup_pid"] == http.get("/pid").json()["pid"] == server.pid

        # dev shows the error to the developer: the debug page for a browser...
        page = http.get("/boom", headers={"accept": "text/html"})
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert BOOM_DETAIL in page.text
        assert "RuntimeError" in page.text
        # ... and the exception's text for an API client.
        error = http.get("/boom", headers={"accept": "application/json"}).json()["error"]
        assert error["status"] == 500
        assert BOOM_DETAIL in error["message"]

    # uvicorn shuts down gracefully, then re-raises the signal it caught (0.29+), so the
    # process ends either with 0 or killed by that same SIGTERM; never with an error.
    code = server.stop(signal.SIGTERM)
    assert code in (0, -signal.SIGTERM), server.log()
    assert "Application shutdown complete" in server.log()


def parse_routes_table(stdout: str) -> dict[str, dict[str, str]]:
    """Read ``mvcpy routes`` output into {name: {methods, path, target, filters}}."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "mvcpy routes printed nothing"
    assert lines[0].split() == ["METHODS", "PATH", "NAME", "TARGET", "FILTERS"]
    rows = {}
    for line in lines[1:]:
        assert not line.startswith("warning:"), line
        methods, path, name, target, filters = line.split(None, 4)
        assert name not in rows, f"route name {name} listed twice"
        rows[name] = {"methods": methods, "path": path, "target": target, "filters": filters}
    return rows


def test_mvcpy_routes_lists_every_route_with_its_name() -> None:
    result = run_command([MVCPY, "routes", "--app", APP_SPEC])
    assert result.returncode == 0, result.stderr
    rows = parse_routes_table(result.stdout)
    target = "tests.e2e.apps.basic."
    # In development the query inspector is an app-wide filter, so it heads every chain.
    dev = "QueryInspector"
    api = f"{dev} > add_api_header"
    expected = {
        "hello": ("GET", "/hello", target + "GreetController.hello", dev),
        "hello_async": ("GET", "/hello-async", target + "GreetController.hello_async", dev),
        "users.show": ("GET", "/users/{name}", target + "GreetController.user", dev),
        "GreetController.item": ("GET", "/items/{id:int}", target + "GreetController.item", dev),
        "json": ("GET", "/json", target + "json_info", dev),
        "submit": ("POST", "/submit", target + "submit", dev),
        "files.raw": ("GET", "/files/{name}/raw", target + "FilesController.raw", dev),
        "api.ping": ("GET", "/api/ping", target + "<lambda>", api),
        "api.greet": ("GET", "/api/greet/{name}", target + "GreetController.user", api),
    }  # fmt: skip
    for name, (methods, path, route_target, filters) in expected.items():
        assert name in rows, f"{name} missing from:\n{result.stdout}"
        assert rows[name] == {
            "methods": methods,
            "path": path,
            "target": route_target,
            "filters": filters,
        }
    # In development the app also serves mvcpy's documentation (docs/running.md).
    assert rows["manual.index"]["path"] == "/-/docs/"
    assert rows["manual.page"]["path"] == "/-/docs/{name}"
    assert len(rows) == 14 + 2


@pytest.mark.parametrize(
    ("path", "method", "verdict"),
    [
        ("/users/alice", "GET", "name 'users.show'"),
        ("/files/latest/raw", "GET", "name 'files.raw'"),
        ("/files/latest/info", "GET", "name 'files.latest_info'"),
        ("/api/greet/bob", "GET", "name 'api.greet'"),
        ("/hello", "POST", "=> 405"),
        ("/hello/", "GET", "=> 301"),
        ("/no/such/page", "GET", "=> 404"),
    ],
)
def test_mvcpy_routes_explain_prints_the_winner(path: str, method: str, verdict: str) -> None:
    result = run_command(
        [MVCPY, "routes", "--app", APP_SPEC, "--explain", path, "--method", method]
    )
    # 1 when no route answers (404, 405); a redirect to a route counts as answering.
    assert result.returncode == (1 if verdict in ("=> 404", "=> 405") else 0), result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"{method} {path}"
    winner = lines[-1]
    assert winner.startswith("=> ")
    assert verdict in winner


def test_mvcpy_routes_with_a_wrong_app_fails_clearly() -> None:
    result = run_command([MVCPY, "routes", "--app", "tests.e2e.apps.basic:STATE"])
    assert result.returncode == 2
    assert "is not an mvcpy App" in result.stderr
    assert "Traceback" not in result.stderr


def test_mvcpy_version() -> None:
    result = run_command([MVCPY, "version"])
    assert result.returncode == 0, result.stderr
    version = importlib.metadata.version("mvcpy-web")
    assert result.stdout.strip() == f"mvcpy {version} (Python {platform.python_version()})"
