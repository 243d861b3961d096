"""Which models the admin shows, and how: ``admin.register(Post, list_display=...)``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel

from mvcpy.admin.fields import AdminField, column_field, form_model, label_of, target_of
from mvcpy.errors import ConfigurationError

__all__ = ["ACTIONS", "Admin", "ModelAdmin", "own_name", "row_title"]

#: what a user may do with a model's rows, each a permission: ``posts.edit``
ACTIONS = ("view", "create", "edit", "delete")

#: the columns a row's title is read from, first found first
_TITLE_NAMES = ("title", "name", "email", "username", "label", "slug", "subject")


class ModelAdmin:
    """One registered model: its editable fields, its list, search, filters and order."""

    def __init__(
        self,
        model: type[Any],
        *,
        fields: Sequence[str] | None,
        list_display: Sequence[str] | None,
        search: Sequence[str],
        filters: Sequence[str],
        ordering: Sequence[str] | None,
        title: str | None,
        label: str | None,
        plural: str | None,
        per_page: int | None,
    ) -> None:
        try:
            mapper = sa.inspect(model)
        except sa.exc.NoInspectionAvailable:
            raise ConfigurationError(f"admin.register({model!r}): not a model") from None
        keys = mapper.primary_key
        if len(keys) != 1:
            raise ConfigurationError(
                f"admin.register({model.__name__}): the admin edits models with a one-column "
                "primary key"
            )
        self.model = model
        #: the table's name: the URL's segment and the permissions' area (``posts.edit``)
        self.slug: str = mapper.local_table.name
        self.label = label or model.__name__
        self.plural = plural or label_of(self.slug)
        self.key_name: str = mapper.get_property_by_column(keys[0]).key
        self._key_type: Any = keys[0].type.python_type
        columns = {attribute.key: attribute.columns[0] for attribute in mapper.column_attrs}
        self.columns = columns
        names = list(fields) if fields is not None else _default_fields(mapper)
        #: what the forms edit, and all they may change (nothing else is assigned)
        self.fields: list[AdminField] = [column_field(model, name) for name in names]
        self.title_name = title or _title_name(model, columns)
        if self.title_name is not None and not hasattr(model, self.title_name):
            raise ConfigurationError(f"{model.__name__} has no attribute {self.title_name!r}")
        shown = list_display or _default_list(self.key_name, self.title_name, names)
        for name in shown:
            if not hasattr(model, name):
                raise ConfigurationError(
                    f"admin.register({model.__name__}, list_display=...): no attribute {name!r}"
                )
        self.list_display: tuple[str, ...] = tuple(shown)
        for name in search:
            if not isinstance(columns.get(name, sa.Column(sa.Integer)).type, sa.String):
                raise ConfigurationError(
                    f"admin.register({model.__name__}, search=...): {name!r} is no text column"
                )
        self.search: tuple[str, ...] = tuple(search)
        self.filters: list[AdminField] = [column_field(model, name) for name in filters]
        order = list(ordering) if ordering is not None else ["-" + self.key_name]
        for name in order:
            if name.lstrip("-") not in columns:
                raise ConfigurationError(
                    f"admin.register({model.__name__}, ordering=...): no column {name!r}"
                )
        self.ordering: tuple[str, ...] = tuple(order)
        self.per_page = per_page

    def __repr__(self) -> str:
        return f"<ModelAdmin {self.model.__name__} at {self.slug!r}>"

    @cached_property
    def form(self) -> type[BaseModel]:
        """The pydantic model that checks what the create and edit forms send."""
        return form_model(f"{self.model.__name__}AdminForm", self.fields)

    def permission(self, action: str) -> str:
        """The permission of ``action`` (view, create, edit, delete): ``posts.edit``."""
        return f"{self.slug}.{action}"

    def key(self, text: str) -> Any:
        """The primary key written as ``text`` in a URL; None when it cannot be one."""
        if self._key_type is int:
            return int(text) if text.lstrip("-").isdigit() and len(text) < 25 else None
        try:
            return self._key_type(text)
        except (TypeError, ValueError):
            return None

    def key_of(self, obj: Any) -> Any:
        """The primary key of row ``obj``."""
        return getattr(obj, self.key_name)

    def title(self, obj: Any) -> str:
        """How row ``obj`` is named in lists, selects and the audit log."""
        named = own_name(obj)
        if named is not None:
            return named
        value = getattr(obj, self.title_name) if self.title_name else None
        if value is None or value == "":
            return f"{self.label} {self.key_of(obj)}"
        return str(value)

    def target(self, name: str) -> type[Any] | None:
        """The model column ``name`` points to, when it is a foreign key."""
        column = self.columns.get(name)
        return target_of(self.model, column) if column is not None else None

    def sortable(self, name: str) -> bool:
        """Whether the list may be ordered by ``name`` (a listed column)."""
        return name in self.columns and name in self.list_display


def own_name(obj: Any) -> str | None:
    """``str(obj)`` when its class says how it is written (a ``__str__`` of its own)."""
    method: Any = type(obj).__str__
    return str(obj) if method is not object.__str__ else None


def row_title(obj: Any) -> str:
    """How a row of a model the admin does not show is named (a foreign key's target)."""
    named = own_name(obj)
    if named is not None:
        return named
    mapper = sa.inspect(type(obj))
    columns = {attribute.key: attribute.columns[0] for attribute in mapper.column_attrs}
    name = _title_name(type(obj), columns)
    value = getattr(obj, name) if name else None
    if value is None or value == "":
        return f"{type(obj).__name__} {mapper.primary_key_from_instance(obj)[0]}"
    return str(value)


def _default_fields(mapper: Any) -> list[str]:
    """Every column but the primary key and those the database or the model fill
    (timestamps: a default computed in Python, or a value set on update)."""
    names = []
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if column.primary_key or column.onupdate is not None:
            continue
        if column.default is not None and callable(getattr(column.default, "arg", None)):
            continue
        names.append(attribute.key)
    return names


def _title_name(model: type[Any], columns: dict[str, Any]) -> str | None:
    for name in _TITLE_NAMES:
        if name in columns:
            return name
    texts = [n for n, c in columns.items() if isinstance(c.type, sa.String) and not c.primary_key]
    return texts[0] if texts else None


def _default_list(key: str, title: str | None, fields: list[str]) -> list[str]:
    shown = [key] + ([title] if title else [])
    shown += [name for name in fields if name not in shown][: 5 - len(shown)]
    return shown


class Admin:
    """The models an app's admin shows: build one in the project's ``admin`` module and
    :meth:`register` each model (docs/admin.md).

    ``grant(db, email, permissions)`` gives a user the admin's permissions (what
    ``mvcpy admin grant EMAIL`` calls; the generated ``admin.py`` gives it a role holding
    them) and returns what it did, in a sentence.
    """

    def __init__(self, grant: Callable[[Any, str, list[str]], str] | None = None) -> None:
        self._models: dict[str, ModelAdmin] = {}
        self.grant = grant

    def register(
        self,
        model: type[Any],
        *,
        fields: Sequence[str] | None = None,
        list_display: Sequence[str] | None = None,
        search: Sequence[str] = (),
        filters: Sequence[str] = (),
        ordering: Sequence[str] | None = None,
        title: str | None = None,
        label: str | None = None,
        plural: str | None = None,
        per_page: int | None = None,
    ) -> ModelAdmin:
        """Show ``model`` in the admin.

        ``fields``: the columns the forms edit, and the only ones a submitted form may
        change (default: all but the primary key and the timestamps); ``list_display``:
        the list's columns (attributes and properties work too); ``search``: the text
        columns ``?q=`` looks in; ``filters``: the columns offered as filters;
        ``ordering``: the list's default order (``"-created_at"``); ``title``: the
        attribute that names a row (default: ``title``, ``name``, ``email``... or the first
        text column); ``label``/``plural``: how the model is called.
        """
        registered = ModelAdmin(
            model,
            fields=fields,
            list_display=list_display,
            search=search,
            filters=filters,
            ordering=ordering,
            title=title,
            label=label,
            plural=plural,
            per_page=per_page,
        )
        if registered.slug in self._models:
            raise ConfigurationError(f"{model.__name__} is registered with the admin already")
        self._models[registered.slug] = registered
        return registered

    def get(self, slug: str) -> ModelAdmin | None:
        """The registration of table ``slug``, or None."""
        return self._models.get(slug)

    def of(self, model: type[Any]) -> ModelAdmin | None:
        """The registration of ``model``, or None."""
        return next((m for m in self._models.values() if m.model is model), None)

    def permissions(self) -> list[str]:
        """Every permission of the registered models (``posts.view``, ``posts.create``,
        ``posts.edit``, ``posts.delete``, ...)."""
        return [m.permission(a) for m in self._models.values() for a in ACTIONS]

    def __iter__(self) -> Iterator[ModelAdmin]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)
