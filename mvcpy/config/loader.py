"""Build the typed settings once, from every source, and refuse what they do not know.

Precedence, lowest first: each field's default, the environment's defaults
(``env_defaults`` of the section), ``[default]`` of ``conf/app.toml``, the section named
by ``MVCPY_ENV`` (``dev`` when unset), the dict given in code, and last
``MVCPY_<KEY>`` / ``MVCPY_<SECTION>__<KEY>`` environment variables.

Every value remembers where it came from, so that an unknown section or key, or a value
of the wrong type, stops startup with the file (or variable), the key, the expected type
and the closest known name.
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import os
import sys
import tomllib
import types
import typing
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from mvcpy.config.core import (
    ENVIRONMENTS,
    ChecksSettings,
    CoreSettings,
    FiltersSettings,
    FormSettings,
    LoggingSettings,
    ServerSettings,
)
from mvcpy.config.section import Section
from mvcpy.config.settings import Config
from mvcpy.errors import ConfigurationError

__all__ = [
    "CORE_SECTIONS",
    "Config",
    "SettingsError",
    "load_config",
    "module_root",
    "project_components",
]

S = TypeVar("S", bound=Section)

#: The sections the core reads; batteries add theirs through their components.
CORE_SECTIONS: dict[str, type[Section]] = {
    "server": ServerSettings,
    "form": FormSettings,
    "logging": LoggingSettings,
    "filters": FiltersSettings,
    "checks": ChecksSettings,
}

_RESERVED_ENV = frozenset({"MVCPY_ENV", "MVCPY_APP"})


class SettingsError(ConfigurationError):
    """The settings do not validate: one line per problem, each naming where it came from."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = "invalid settings: " if len(problems) == 1 else "invalid settings:\n  "
        super().__init__(head + "\n  ".join(problems))


# -- loading --------------------------------------------------------------------------
class _Layers:
    """The raw values being merged, and where each one came from."""

    def __init__(self, sections: Mapping[str, type[Section]]) -> None:
        self.sections = sections
        self.core: dict[str, Any] = {}
        self.values: dict[str, dict[str, Any]] = {name: {} for name in sections}
        self.origins: dict[tuple[str, ...], str] = {}
        self.problems: list[str] = []

    def add(self, document: Mapping[str, Any], where: str) -> None:
        """Merge a table of top-level keys and section tables; ``where`` labels it."""
        for key, value in document.items():
            if key in CoreSettings.model_fields:
                self.core[key] = copy.deepcopy(value)
                self.origins[(key,)] = where
            elif key in self.sections:
                if not isinstance(value, Mapping):
                    self.problems.append(
                        f"{where}: {key} = {value!r}: [{key}] is a section; give it a table"
                    )
                    continue
                label = f"{where[:-1]}.{key}]" if where.endswith("]") else f"{where} [{key}]"
                self.add_section(key, value, label)
            else:
                self.problems.append(f"{where}: unknown {_what(value)} {key!r}{self._hint(key)}")

    def add_section(self, name: str, table: Mapping[str, Any], where: str) -> None:
        """Merge ``table`` into section ``name``; ``where`` labels it."""
        fields = self.sections[name].model_fields
        target = self.values[name]
        label = where
        for key, value in table.items():
            if key not in fields:
                self.problems.append(
                    f"{label}: unknown key {key!r} in [{name}]{_closest(key, fields)}"
                )
                continue
            if isinstance(value, Mapping) and isinstance(target.get(key), dict):
                merged = copy.deepcopy(target[key])
                merged.update(copy.deepcopy(dict(value)))
                target[key] = merged
            else:
                target[key] = copy.deepcopy(value)
            self.origins[(name, key)] = label

    def add_environ(self, environ: Mapping[str, str]) -> None:
        """Merge ``MVCPY_<KEY>`` and ``MVCPY_<SECTION>__<KEY>`` variables."""
        for variable in sorted(environ):
            if not variable.startswith("MVCPY_") or variable in _RESERVED_ENV:
                continue
            raw = environ[variable]
            section, sep, key = variable[len("MVCPY_") :].lower().partition("__")
            if not sep:
                key, section = section, ""
                if key not in CoreSettings.model_fields:
                    self.problems.append(
                        f"{variable}: unknown setting {key!r}{self._hint(key)}"
                        + self._section_hint(key)
                    )
                    continue
                self.core[key] = _env_value(raw, CoreSettings.model_fields[key].annotation)
                self.origins[(key,)] = variable
                continue
            if section not in self.sections:
                self.problems.append(
                    f"{variable}: unknown section {section!r}{_closest(section, self.sections)}"
                )
                continue
            fields = self.sections[section].model_fields
            if key not in fields:
                self.problems.append(
                    f"{variable}: unknown key {key!r} in [{section}]{_closest(key, fields)}"
                )
                continue
            self.values[section][key] = _env_value(raw, fields[key].annotation)
            self.origins[(section, key)] = variable

    def _hint(self, name: str) -> str:
        return _closest(name, [*CoreSettings.model_fields, *self.sections])

    def _section_hint(self, key: str) -> str:
        if key in self.sections:
            return f"; [{key}] is a section: set its keys with MVCPY_{key.upper()}__<KEY>"
        return ""

    def build(self, env: str, source: Path | None) -> Config:
        """Validate every section; raise :class:`SettingsError` listing every problem."""
        core = self._validate(CoreSettings, self.core, ())
        built: dict[str, Section] = {}
        for name, model in self.sections.items():
            section = self._validate(model, self.values[name], (name,))
            if section is not None:
                built[name] = section
        if self.problems:
            raise SettingsError(self.problems)
        assert core is not None
        return Config(core, built, env, source)

    def _validate(
        self, model: type[S], values: dict[str, Any], prefix: tuple[str, ...]
    ) -> S | None:
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            reported: set[str] = set()
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                if field in reported:
                    continue  # one line a field (a union fails once per member)
                reported.add(field)
                where = self.origins.get((*prefix, field), "default")
                key = ".".join((*prefix, field))
                expected = _describe(model.model_fields[field].annotation) if field else "?"
                value = values.get(field, error.get("input"))
                reason = error["msg"][0].lower() + error["msg"][1:]
                self.problems.append(
                    f"{where}: {key} = {value!r} is not valid: expected {expected} ({reason})"
                )
            return None


def _what(value: Any) -> str:
    return "section" if isinstance(value, Mapping) else "key"


def _closest(name: str, candidates: Any) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _describe(annotation: Any) -> str:
    """Name a field's type for people: ``int``, ``list[str]``, ``'text' or 'json'``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _describe(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is not None:
        args = ", ".join(_describe(a) for a in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "none"
    return getattr(annotation, "__name__", str(annotation))


def _env_value(raw: str, annotation: Any) -> Any:
    """Read a variable as a TOML literal (``true``, ``8000``, ``["a"]``), or as the string
    itself where the setting is a string or the text is no literal."""
    if _describe(annotation) == "str":
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def load_config(
    root: Path,
    overrides: Mapping[str, Any] | None = None,
    env: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    sections: Mapping[str, type[Section]] | None = None,
) -> Config:
    """Build and validate the settings of the project rooted at ``root``.

    ``sections`` names every section the app reads besides the top-level keys (the
    core's and its components'); by default, those of the built-in components and of the
    components the project lists.
    """
    environ = os.environ if environ is None else environ
    env = env or environ.get("MVCPY_ENV") or "dev"
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"MVCPY_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}")

    path = Path(config_file) if config_file is not None else root / "conf" / "app.toml"
    document: dict[str, Any] = {}
    source: Path | None = None
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: {exc}") from None
        unknown = set(document) - {"default", *ENVIRONMENTS}
        if unknown:
            name = sorted(unknown)[0]
            raise ConfigurationError(
                f"{path}: unknown section(s) {sorted(unknown)}; "
                f"use [default], [dev], [test], [prod]{_closest(name, ['default', *ENVIRONMENTS])}"
            )
        source = path
    elif config_file is not None:
        raise ConfigurationError(f"configuration file {path} does not exist")

    if sections is None:
        from mvcpy.components import discover, sections_of

        listed = _listed_components(document, env, overrides, environ)
        sections = {**CORE_SECTIONS, **sections_of(discover(listed))}
    layers = _Layers(sections)
    models: list[tuple[str, type[Section]]] = [("", CoreSettings), *sections.items()]
    for name, model in models:
        defaults = model.env_defaults.get(env)
        if defaults:
            if name:
                layers.add_section(name, defaults, f"the {env} defaults")
            else:
                layers.add(defaults, f"the {env} defaults")
    shown = _shown_path(path, root)
    for table in ("default", env):
        part = document.get(table)
        if isinstance(part, Mapping):
            layers.add(part, f"{shown} [{table}]")
    if overrides:
        layers.add(overrides, "App(config=...)")
    layers.add_environ(environ)
    return layers.build(env, source)


def _shown_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _listed_components(
    document: Mapping[str, Any],
    env: str,
    overrides: Mapping[str, Any] | None,
    environ: Mapping[str, str],
) -> list[str]:
    """The ``components`` key, read before the rest: the sections depend on it."""
    value: Any = []
    for table in (document.get("default"), document.get(env), overrides):
        if isinstance(table, Mapping) and "components" in table:
            value = table["components"]
    if "MVCPY_COMPONENTS" in environ:
        value = _env_value(environ["MVCPY_COMPONENTS"], list[str])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"components must be a list of 'module:Class' strings: {value!r}")
    return value


def app_root(import_name: str | None, root_path: str | PathLike[str] | None = None) -> Path:
    """Return the project root of ``App(import_name, root_path=...)``: ``root_path``, else
    the folder of the (imported) module ``import_name``, else the working directory."""
    if root_path is not None:
        return Path(root_path).resolve()
    if import_name:
        file = getattr(sys.modules.get(import_name), "__file__", None)
        if file:
            return Path(file).resolve().parent
    return Path.cwd()


def module_root(spec: str | None) -> Path:
    """Return the directory of the module that ``spec`` (``module:attribute``) names, without
    running it: the root ``App(__name__)`` in that module finds. The working directory when
    there is no such module."""
    module = (spec or "").split(":", 1)[0]
    if module:
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            found = None
        if found is not None and found.origin:
            return Path(found.origin).resolve().parent
    return Path.cwd()


def project_components(root: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the ``components`` the project at ``root`` lists, without building its app."""
    environ = os.environ if environ is None else environ
    path = root / "conf" / "app.toml"
    document: dict[str, Any] = {}
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: {exc}") from None
    env = environ.get("MVCPY_ENV") or "dev"
    return _listed_components(document, env, None, environ)
