"""The base of every settings section, and the small types sections share.

A section is a frozen pydantic model: one ``[name]`` table of ``conf/app.toml``, its
defaults beside its fields, validated once when the app is built. Unknown keys are
refused (``extra="forbid"``); the loader turns that into an error naming the file or
variable and the closest known key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["SECRET", "SECRET_URL", "Secret", "Section", "StrList"]


class Secret:
    """Field marker: ``Annotated[str, SECRET]`` is masked by ``mvcpy config``.

    ``url=True`` masks only the password of a URL (``redis://:***@host``).
    """

    __slots__ = ("url",)

    def __init__(self, *, url: bool = False) -> None:
        self.url = url

    def __repr__(self) -> str:
        return "SecretURL" if self.url else "Secret"


SECRET = Secret()
SECRET_URL = Secret(url=True)


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


#: A list of strings that also accepts one string (``allowed_hosts = "example.com"``).
StrList = Annotated[list[str], BeforeValidator(_one_or_many)]


class Section(BaseModel):
    """One section of the settings: typed fields with their defaults, frozen once built.

    ``env_defaults`` gives per-environment defaults (``{"prod": {"format": "json"}}``):
    they sit between the field's default and the project's own files.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True)

    env_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
