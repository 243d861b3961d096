from pathlib import Path

import pytest

from mvcpy import App, ConfigurationError
from mvcpy.config import DEFAULT_SECRET_KEY, load_config

TOML = """
[default]
app_name = "blog"
max_body_size = 100

[default.database]
url = "sqlite:///default.db"

[dev]
debug = true

[prod]
allowed_hosts = ["example.com"]

[prod.database]
url = "postgresql://prod"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.toml").write_text(TOML)
    return tmp_path


def test_sections_are_chosen_by_env(project: Path) -> None:
    dev = load_config(project, environ={})
    assert dev.env == "dev"
    assert dev["debug"] is True
    assert dev.get("database.url") == "sqlite:///default.db"
    prod = load_config(project, environ={"MVCPY_ENV": "prod"})
    assert prod["debug"] is False
    assert prod.get("database.url") == "postgresql://prod"
    assert prod["allowed_hosts"] == ["example.com"]
    assert prod["app_name"] == "blog"


def test_environment_overrides_win(project: Path) -> None:
    config = load_config(
        project,
        overrides={"max_body_size": 5},
        environ={
            "MVCPY_MAX_BODY_SIZE": "2048",
            "MVCPY_DATABASE__URL": "sqlite:///env.db",
            "MVCPY_DEBUG": "false",
            "MVCPY_ALLOWED_HOSTS": '["a.test", "b.test"]',
            "MVCPY_SECRET_KEY": "not toml: plain string",
        },
    )
    assert config["max_body_size"] == 2048
    assert config.get("database.url") == "sqlite:///env.db"
    assert config["debug"] is False
    assert config["allowed_hosts"] == ["a.test", "b.test"]
    assert config["secret_key"] == "not toml: plain string"


def test_dict_in_code_overrides_file(project: Path) -> None:
    config = load_config(project, overrides={"database": {"url": "x"}}, environ={})
    assert config.get("database.url") == "x"
    assert config["app_name"] == "blog"


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert config["secret_key"] == DEFAULT_SECRET_KEY
    assert config.get("missing.key", "fallback") == "fallback"
    assert config.source is None


def test_bad_env_and_bad_sections(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="MVCPY_ENV='staging'"):
        load_config(tmp_path, environ={"MVCPY_ENV": "staging"})
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.toml").write_text("[production]\ndebug = false\n")
    with pytest.raises(ConfigurationError, match="unknown section"):
        load_config(tmp_path, environ={})
    (tmp_path / "conf" / "app.toml").write_text("[default\n")
    with pytest.raises(ConfigurationError, match=r"app\.toml"):
        load_config(tmp_path, environ={})


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_config(tmp_path, config_file=tmp_path / "nope.toml", environ={})


def test_prod_refuses_default_or_empty_secret(tmp_path: Path) -> None:
    for secret in (DEFAULT_SECRET_KEY, ""):
        app = App(root_path=tmp_path, env="prod", config={"secret_key": secret})
        with pytest.raises(ConfigurationError, match="MVCPY_SECRET_KEY"):
            app.start()
    App(root_path=tmp_path, env="prod", config={"secret_key": "s" * 32}).start()


def test_prod_never_debugs(tmp_path: Path) -> None:
    app = App(root_path=tmp_path, env="prod", config={"secret_key": "s" * 32, "debug": True})
    assert app.debug is False
    assert App(root_path=tmp_path, env="dev").debug is True


def test_app_reads_conf_next_to_the_module(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MVCPY_ENV", "prod")
    app = App(root_path=project, config={"secret_key": "k" * 32})
    assert app.env == "prod"
    assert app.config["app_name"] == "blog"
