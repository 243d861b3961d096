import json
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mvcpy import App, ConfigurationError
from mvcpy.cli import main
from mvcpy.config import DEFAULT_SECRET_KEY, SettingsError, load_config

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


# -- typed settings: every mistake stops startup, naming where it is --------------------
def _error(tmp_path: Path, toml: str = "", **kwargs: Any) -> str:
    if toml:
        (tmp_path / "conf").mkdir(exist_ok=True)
        (tmp_path / "conf" / "app.toml").write_text(toml)
    kwargs.setdefault("environ", {})
    with pytest.raises(SettingsError) as caught:
        load_config(tmp_path, **kwargs)
    return str(caught.value)


def test_a_misspelt_section_names_the_file_and_the_closest_section(tmp_path: Path) -> None:
    message = _error(tmp_path, '[default.databse]\nurl = "sqlite://"\n')
    assert "conf/app.toml [default]: unknown section 'databse'; did you mean 'database'?" in (
        message
    )


def test_a_misspelt_key_names_the_table_and_the_closest_key(tmp_path: Path) -> None:
    message = _error(tmp_path, "[prod.database]\npool_sise = 3\n", env="prod")
    assert (
        "conf/app.toml [prod.database]: unknown key 'pool_sise' in [database]; "
        "did you mean 'pool_size'?"
    ) in message
    top = _error(tmp_path, "[default]\ndebgu = true\n")
    assert "conf/app.toml [default]: unknown key 'debgu'; did you mean 'debug'?" in top


def test_a_misspelt_variable_names_the_variable(tmp_path: Path) -> None:
    message = _error(tmp_path, environ={"MVCPY_DATABSE__URL": "sqlite://"})
    assert "MVCPY_DATABSE__URL: unknown section 'databse'; did you mean 'database'?" in message
    key = _error(tmp_path, environ={"MVCPY_SESSION__BAKEND": "redis"})
    assert "MVCPY_SESSION__BAKEND: unknown key 'bakend' in [session]; did you mean 'backend'?" in (
        key
    )
    top = _error(tmp_path, environ={"MVCPY_SECRET": "x"})
    assert "MVCPY_SECRET: unknown setting 'secret'; did you mean 'secret_key'?" in top


def test_a_wrong_type_names_the_source_the_key_and_the_expected_type(tmp_path: Path) -> None:
    message = _error(tmp_path, '[default.database]\npool_size = "three"\n')
    assert (
        "conf/app.toml [default.database]: database.pool_size = 'three' is not valid: expected int"
    ) in message
    from_env = _error(tmp_path, "", environ={"MVCPY_MAX_BODY_SIZE": "lots"})
    assert "MVCPY_MAX_BODY_SIZE: max_body_size = 'lots' is not valid: expected int" in from_env
    choice = _error(tmp_path, "", overrides={"logging": {"format": "yaml"}})
    assert "logging.format = 'yaml' is not valid: expected 'text' or 'json'" in choice
    # TOML has booleans: a string is not one, even one that reads like it.
    assert "expected bool" in _error(tmp_path, "", overrides={"debug": "yes"})


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    message = _error(tmp_path, '[default]\nworker_threads = 0\n[default.hub]\nbackend = "kafka"\n')
    assert "worker_threads = 0 is not valid" in message
    assert "hub.backend = 'kafka' is not valid: expected 'memory' or 'redis'" in message


def test_string_settings_take_variables_verbatim(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={"MVCPY_SECRET_KEY": "12345", "MVCPY_APP_NAME": "true"})
    assert config.core.secret_key == "12345"
    assert config.core.app_name == "true"


def test_settings_are_frozen_and_typed(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={}, overrides={"allowed_hosts": "one.example"})
    assert config.core.allowed_hosts == ["one.example"]  # one string is a list of one
    with pytest.raises(TypeError):
        config["debug"] = False  # type: ignore[index]
    with pytest.raises(ValidationError):
        config.core.debug = False  # type: ignore[misc]


def test_mvcpy_config_masks_secrets(
    ready_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = ready_project / "conf" / "app.toml"
    conf.write_text(
        conf.read_text()
        + 'secret_key = "very-secret-value-0123456789-abcdefgh"\n'
        + '[default.database]\nurl = "postgresql://ann:hunter2@db.example/shop"\n'
    )
    assert main(["config"]) == 0
    text = capsys.readouterr().out
    assert "very-secret-value" not in text and "hunter2" not in text
    assert 'secret_key = "********"' in text
    assert 'url = "postgresql://ann:********@db.example/shop"' in text
    assert 'app_name = "readyproj"' in text
    for name in [m for m in sys.modules if m.startswith("readyproj")]:
        del sys.modules[name]  # as a new process would: the app is built again for --env
    assert main(["config", "--json", "--env", "test"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["env"] == "test"
    assert data["settings"]["secret_key"] == "********"
    assert data["settings"]["database"]["pool_size"] == 5
    assert data["settings"]["templates"]["strict"] is True  # the test environment's default
