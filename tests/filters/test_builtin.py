"""Built-in filters turned on from ``[filters]`` in conf/app.toml, their order and binding."""

import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App, ConfigurationError
from mvcpy.cli import main
from mvcpy.filters.builtin import BUILTINS, configured_filters
from mvcpy.filters.cors import CORS
from mvcpy.filters.ratelimit import RateLimit
from mvcpy.testing import TestClient

CONFIG = """
[default.filters]
request_id = true
security_headers = { content_security_policy = "default-src 'self'" }
body_limit = { max_size = "1kb" }
rate_limit = { rate = "2/minute", enabled = false }

[default.filters.cors]
origins = ["https://app.example"]

[default.filters.access_log]
format = "json"

[prod.filters]
rate_limit = { enabled = true }  # merged over [default]: the rate stays
"""


def project(tmp_path: Path, text: str = CONFIG) -> Path:
    (tmp_path / "conf").mkdir(exist_ok=True)
    (tmp_path / "conf" / "app.toml").write_text(text)
    return tmp_path


def test_config_turns_filters_on_in_the_fixed_order(tmp_path: Path) -> None:
    app = App(root_path=project(tmp_path), env="test")
    names = [type(f).__name__ for f in configured_filters(app)]
    assert names == ["RequestID", "AccessLog", "SecurityHeaders", "CORS", "BodyLimit"]
    prod = App(root_path=tmp_path, env="prod", config={"secret_key": "s" * 40})
    assert [type(f).__name__ for f in configured_filters(prod)][-1] == "RateLimit"


def test_configured_filters_run_before_the_ones_added_in_code(tmp_path: Path, caplog: Any) -> None:
    app = App(root_path=project(tmp_path), env="test")
    seen: list[Any] = []

    async def mine(ctx: Any, call_next: Any) -> Any:
        seen.append(ctx.request_id)  # the configured RequestID already ran
        return await call_next(ctx)

    app.use(mine)
    app.post("/upload", lambda ctx: {"ok": True})
    with caplog.at_level(logging.INFO, logger="mvcpy.access"), TestClient(app) as client:
        response = client.post(
            "/upload", content=b"x" * 2000, headers={"origin": "https://app.example"}
        )
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
    assert '"status":413' in caplog.records[-1].getMessage()
    assert seen == []  # the body limit answered before the filters added in code
    with TestClient(app) as client:
        ok = client.post("/upload", content=b"x" * 10)
    assert ok.json() == {"ok": True} and seen == [ok.headers["x-request-id"]]
    assert [type(f).__name__ for f in app.route_table.routes[0].filters][-1] == "function"


def test_errors_answered_by_inner_filters_pass_through_outer_ones(make_app: Any) -> None:
    app = make_app()
    app.use(CORS(["https://app.example"]))
    app.get("/", lambda ctx: {}, filters=[RateLimit("1/hour")])
    with TestClient(app) as client:
        client.get("/")
        limited = client.get("/", headers={"origin": "https://app.example"})
    assert limited.status_code == 429
    assert limited.headers["access-control-allow-origin"] == "https://app.example"


def test_unknown_filters_and_wrong_kinds_stop_the_app(make_app: Any) -> None:
    with pytest.raises(ConfigurationError, match="unknown key 'gzip' in \\[filters\\]"):
        make_app(filters={"gzip": True})
    with pytest.raises(ConfigurationError, match=r"filters\.cors = 'yes' is not valid"):
        make_app(filters={"cors": "yes"})


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"timeout": {"secs": 3}}, r"\[filters.timeout\]"),
        ({"rate_limit": {"rate": "lots"}}, "not a rate"),
        ({"static": {"dirs": {"/s": "nope"}}}, "does not exist"),
    ],
)
def test_configuration_mistakes_fail_at_startup(
    make_app: Any, filters: dict[str, Any], message: str
) -> None:
    app = make_app(filters=filters)
    with pytest.raises(ConfigurationError, match=message):
        app.start()


def test_every_builtin_is_importable() -> None:
    import importlib

    for name, (module, cls) in BUILTINS.items():
        assert hasattr(importlib.import_module(module), cls), name


def test_routes_command_lists_the_builtins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    package = tmp_path / "fltproj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(
        "from mvcpy import App\n"
        "from mvcpy.filters.timeout import Timeout\n"
        "app = App(__name__, env='test', config={'filters': {'request_id': True, 'cors': "
        "{'origins': ['*']}}})\n"
        "app.get('/slow', lambda ctx: {}, name='slow', filters=[Timeout(2)])\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MVCPY_APP", raising=False)
    try:
        assert main(["routes", "--app", "fltproj.app:app"]) == 0
    finally:
        for name in [m for m in sys.modules if m.startswith("fltproj")]:
            del sys.modules[name]
    row = next(line for line in capsys.readouterr().out.splitlines() if "slow" in line)
    assert row.rstrip().endswith("RequestID > CORS > Timeout")
