"""The app's settings once built: typed sections, frozen, with a read-only mapping view."""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from mvcpy.config.core import CoreSettings
from mvcpy.config.section import Secret, Section
from mvcpy.errors import ConfigurationError

__all__ = ["Config"]

S = TypeVar("S", bound=Section)
_MASK = "********"


class Config(Mapping[str, Any]):
    """The app's settings: typed sections, frozen once built.

    ``config.core`` holds the top-level keys, ``config.section_of(DatabaseSettings)`` (or
    ``config.sections["database"]``) one section. The mapping form reads the same values
    the way a dict of the file would: ``config["debug"]``, ``config.get("database.url")``.
    """

    def __init__(
        self,
        core: CoreSettings,
        sections: Mapping[str, Section],
        env: str,
        source: Path | None = None,
    ) -> None:
        self.core = core
        self.sections: Mapping[str, Section] = types.MappingProxyType(dict(sections))
        self.env = env
        self.source = source
        self._by_type = {type(s): s for s in sections.values()}

    def section_of(self, model: type[S]) -> S:
        """Return the section whose settings type is ``model``."""
        try:
            return self._by_type[model]  # type: ignore[return-value]
        except KeyError:
            raise ConfigurationError(
                f"no section of type {model.__name__} is installed in this app"
            ) from None

    # -- the mapping view ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key in self.sections:
            return self.sections[key]
        if key in CoreSettings.model_fields:
            return getattr(self.core, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from CoreSettings.model_fields
        yield from self.sections

    def __len__(self) -> int:
        return len(CoreSettings.model_fields) + len(self.sections)

    def get(self, key: str, default: Any = None) -> Any:
        """Return a value by key or dotted path (``"database.url"``), or ``default``."""
        node: Any = self
        for part in key.split("."):
            if isinstance(node, Section):
                if part not in type(node).model_fields:
                    return default
                node = getattr(node, part)
            elif isinstance(node, Mapping):
                if part not in node:
                    return default
                node = node[part]
            else:
                return default
        return node

    def section(self, name: str) -> dict[str, Any]:
        """Return section ``name`` as a plain dict (empty when there is no such section)."""
        value = self.sections.get(name)
        return value.model_dump() if value is not None else {}

    def as_dict(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """Return every effective setting as plain data, secrets masked unless told not to."""
        data = _dump(self.core, mask_secrets)
        for name, section in self.sections.items():
            data[name] = _dump(section, mask_secrets)
        return data

    def __repr__(self) -> str:
        return f"Config(env={self.env!r}, sections={sorted(self.sections)!r})"


def _dump(section: Section, mask: bool) -> dict[str, Any]:
    data = section.model_dump(mode="json")
    if mask:
        for name, field in type(section).model_fields.items():
            marker = next((m for m in field.metadata if isinstance(m, Secret)), None)
            if marker is not None and data.get(name):
                data[name] = _mask(data[name], marker)
    return data


def _mask(value: Any, marker: Secret) -> Any:
    if isinstance(value, list):
        return [_mask(v, marker) for v in value]
    text = str(value)
    if not marker.url:
        return _MASK
    scheme, sep, rest = text.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return text
    return f"{scheme}://{userinfo.split(':', 1)[0]}:{_MASK}@{host}"
