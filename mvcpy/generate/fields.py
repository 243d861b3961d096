"""Field specifications of ``generate model`` and ``generate scaffold``: ``title:str``.

A field is ``name:type``, or ``name:type?`` for an optional one (a nullable column that a
form may leave empty). Without ``:type`` a field is a ``str``. Each type knows its column,
its form annotation, its HTML input, and the sample values the generated tests use.

``post:references`` (Rails' ``belongs_to`` is the same) is a foreign key: the column
``post_id``, the relationship ``post``, and a select of the posts in forms. Its
:class:`Reference` is read (mvcpy.generate.references) from the project's ``Post`` model
when the generator runs, so that model must exist first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, Time
from sqlalchemy.types import TypeEngine

from mvcpy.errors import ConfigurationError
from mvcpy.generate.files import python_string
from mvcpy.generate.naming import ResourceNames, snake
from mvcpy.orm import Model

__all__ = ["FIELD_ALIASES", "FIELD_TYPES", "Field", "FieldType", "Reference", "parse_fields"]


@dataclass(frozen=True)
class FieldType:
    """One field type: how the model, the form, the views and the tests spell it."""

    #: the name in ``name:type``
    name: str
    #: the Python type of ``Mapped[...]`` and of the form field
    python: str
    #: the SQLAlchemy type as the model writes it (``String(200)``), and its constructor
    column: str
    sql_type: Callable[[], TypeEngine[Any]]
    #: ``text``, ``textarea``, ``number``, ``checkbox``, ``date``, ``datetime-local``,
    #: ``time`` or ``select`` (a reference)
    input: str
    #: a form value and the Python value the tests expect it to be stored as
    sample: tuple[str, str]
    #: another pair, for the update test ("" sends nothing: an unchecked box)
    other: tuple[str, str]
    #: a form value that fails validation ("" when the type accepts any text)
    invalid: str = ""
    #: extra ``Field(...)`` arguments: what the column can store (``max_length=200``)
    constraints: str = ""
    #: extra ``Field(...)`` arguments of a required field only (``min_length=1``)
    required: str = ""
    optional_ok: bool = True

    @property
    def sql_import(self) -> str:
        """What the model imports from sqlalchemy: ``String``."""
        return self.column.partition("(")[0]

    @property
    def python_import(self) -> str:
        """What the Python type needs from the datetime module ("" for the others)."""
        return self.python if self.python in ("date", "datetime", "time") else ""

    @property
    def json_sample(self) -> str:
        """The sample as a JSON body holds it, written as Python source (``42``, ``True``)."""
        return self._json(self.sample)

    @property
    def json_other(self) -> str:
        """The update's other value as a JSON body holds it, written as Python source."""
        return self._json(self.other)

    def _json(self, pair: tuple[str, str]) -> str:
        """Dates travel as ISO strings, a datetime with its seconds, as the API answers it
        (``"2024-05-01T10:30:00"``); other values are the Python value itself."""
        if self.python == "date":
            return python_string(pair[0])
        if self.python in ("datetime", "time"):
            return python_string(pair[0] + ":00")
        if self.python == "Decimal":  # JSON answers carry decimals as strings, exactly
            return python_string(pair[0])
        return pair[1]


FIELD_TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        FieldType(
            "str", "str", "String(200)", lambda: String(200), "text",
            sample=("First value", '"First value"'),
            other=("Second value", '"Second value"'),
            required="min_length=1", constraints="max_length=200",
        ),
        FieldType(
            "text", "str", "Text", Text, "textarea",
            sample=("Some longer text.", '"Some longer text."'),
            other=("Other text.", '"Other text."'),
            required="min_length=1",
        ),
        FieldType(
            "int", "int", "Integer", Integer, "number",
            sample=("42", "42"), other=("7", "7"), invalid="not a number",
            constraints="ge=INT_MIN, le=INT_MAX",
        ),
        FieldType(
            "float", "float", "Float", Float, "number",
            sample=("1.5", "1.5"), other=("2.25", "2.25"), invalid="not a number",
            constraints="allow_inf_nan=False",
        ),
        FieldType(
            "bool", "bool", "Boolean", Boolean, "checkbox",
            sample=("true", "True"), other=("", "False"), invalid="maybe", optional_ok=False,
        ),
        FieldType(
            "decimal", "Decimal", "Numeric(12, 2)", lambda: Numeric(12, 2), "number",
            sample=("9.99", 'Decimal("9.99")'), other=("12.50", 'Decimal("12.50")'),
            invalid="not a number",
            constraints="max_digits=12, decimal_places=2, allow_inf_nan=False",
        ),
        FieldType(
            "date", "date", "Date", Date, "date",
            sample=("2024-05-01", "date(2024, 5, 1)"),
            other=("2024-06-02", "date(2024, 6, 2)"),
            invalid="not a date",
        ),
        FieldType(
            "datetime", "datetime", "DateTime", DateTime, "datetime-local",
            sample=("2024-05-01T10:30", "datetime(2024, 5, 1, 10, 30)"),
            other=("2024-06-02T08:15", "datetime(2024, 6, 2, 8, 15)"),
            invalid="not a date",
        ),
        FieldType(
            "time", "time", "Time", Time, "time",
            sample=("10:30", "time(10, 30)"), other=("08:15", "time(8, 15)"),
            invalid="not a time",
        ),
        # The id of another row: the tests store that row first (mvcpy.testing.make_row),
        # so there is no fixed sample; the form checks the range, the controller the row.
        FieldType(
            "references", "int", "ForeignKey", Integer, "select",
            sample=("", ""), other=("", ""), invalid="not a number",
            constraints="ge=1, le=INT_MAX",
        ),
    )
}  # fmt: skip

#: The names Rails and Beego users type, for the same columns (``title:string``).
FIELD_ALIASES: dict[str, str] = {
    "string": "str",
    "integer": "int",
    "boolean": "bool",
    "timestamp": "datetime",
    "numeric": "decimal",
    "belongs_to": "references",
}

#: Names a field may not take: the mixins' columns, SQLAlchemy's and the forms' own, and
#: the names the generated modules import (a field ``date`` would hide the type ``date``).
_RESERVED = frozenset(
    {"id", "created_at", "updated_at", "metadata", "registry", "csrf_token"}
    | {"date", "datetime", "time", "decimal", "Decimal", "mapped_column", "field_validator"}
)


@dataclass(frozen=True)
class Reference:
    """The model a reference field points to."""

    #: ``Post``, imported from ``module``
    model_class: str
    #: ``blog.models.post``
    module: str
    #: ``posts``: the foreign key is ``posts.id``
    table: str
    #: the text attribute that names a row (``title``), or "" to show ``Post 3``
    title: str
    #: the route name prefix of the referenced scaffold's pages (``posts``: the pages
    #: link to ``posts.show``), or "" when it has none
    route: str = ""


@dataclass(frozen=True)
class Field:
    """One field of a model: its name, type and whether it may be empty."""

    name: str
    type: FieldType
    optional: bool = False
    #: what a ``references`` field points to (set from the project's model by the
    #: generator); None for the other types
    reference: Reference | None = None

    @property
    def relation(self) -> str:
        """The relationship of a reference (``post`` for ``post_id``); "" for other fields."""
        return self.name.removesuffix("_id") if self.type.name == "references" else ""

    @property
    def label(self) -> str:
        """``Published at``: the form's label and the pydantic ``title`` (``Post`` for
        ``post_id``)."""
        return (self.relation or self.name).replace("_", " ").capitalize()

    @property
    def annotation(self) -> str:
        """The Python type with ``| None`` when optional: ``str | None``."""
        return f"{self.type.python} | None" if self.optional else self.type.python

    @property
    def mapped(self) -> str:
        """The model's annotation: ``Mapped[str | None]``."""
        return f"Mapped[{self.annotation}]"

    @property
    def invalid(self) -> str | None:
        """A form value that fails validation, as Python source (``"x" * 201``), or None
        when every value is accepted."""
        if self.type.name == "references":
            return None  # a missing row is its own test: any number passes the form
        if self.type.python == "str":
            if not self.optional:
                return '""'  # empty, or only spaces
            return '"x" * 201' if self.type.name == "str" else None  # longer than String(200)
        return f'"{self.type.invalid}"'

    @property
    def form_default(self) -> str:
        """The pydantic ``Field(...)`` arguments, ``title`` and default included."""
        parts = []
        if self.optional:
            parts.append("default=None")
        elif self.type.name == "bool":
            parts.append("default=False")  # an unchecked box sends nothing
        parts.append(f'title="{self.label}"')
        if self.type.required and not self.optional:
            parts.append(self.type.required)
        if self.type.constraints:
            parts.append(self.type.constraints)
        return ", ".join(parts)

    @property
    def on_delete(self) -> str:
        """What deleting the referenced row does: delete this one too (``CASCADE``), or,
        for an optional reference, forget it (``SET NULL``); "" for other fields."""
        if self.type.name != "references":
            return ""
        return "SET NULL" if self.optional else "CASCADE"

    def sql_type(self) -> TypeEngine[Any]:
        """Return a new instance of the column's SQLAlchemy type."""
        return self.type.sql_type()


def _parse_one(spec: str) -> Field:
    name, _, kind = spec.partition(":")
    kind = kind or "str"
    optional = kind.endswith("?")
    kind = kind.removesuffix("?")
    field_type = FIELD_TYPES.get(FIELD_ALIASES.get(kind, kind))
    if field_type is None:
        aliases = ", ".join(f"{alias} ({name})" for alias, name in FIELD_ALIASES.items())
        raise ConfigurationError(
            f"field {spec!r}: unknown type {kind!r}; use one of "
            + ", ".join(FIELD_TYPES)
            + f", or {aliases} (add ? for an optional field: title:str?)"
        )
    if optional and not field_type.optional_ok:
        raise ConfigurationError(
            f"field {spec!r}: a {kind} is a checkbox, on or off, so it cannot be optional"
        )
    if not name:
        raise ConfigurationError(f"field {spec!r} has no name: write name:type, e.g. title:str")
    if name != name.lower():
        raise ConfigurationError(f"field {spec!r}: write field names in snake_case (published_at)")
    name = snake(name, "field name")
    if name in _RESERVED or name.startswith("model_"):
        raise ConfigurationError(
            f"field {spec!r}: {name!r} is taken (id, created_at and updated_at come with "
            "every model; "
            + ", ".join(sorted(_RESERVED - {"id", "created_at", "updated_at"}))
            + " and model_* are reserved)"
        )
    if field_type.name == "references":
        name = _reference_name(spec, name)
    for taken in {name, name.removesuffix("_id")}:
        if hasattr(BaseModel, taken) or hasattr(Model, taken):
            raise ConfigurationError(
                f"field {spec!r}: {taken!r} is the name of a method of pydantic or SQLAlchemy "
                "models, which the field would hide: choose another name"
            )
    return Field(name, field_type, optional)


def _reference_name(spec: str, name: str) -> str:
    """``post`` (or ``post_id``, or ``posts``) gives the column ``post_id``."""
    relation = name.removesuffix("_id")
    if not relation:
        raise ConfigurationError(f"field {spec!r}: name the model it references: post:references")
    singular = ResourceNames.parse(relation).singular
    if singular != relation:
        raise ConfigurationError(
            f"field {spec!r}: a reference names one row, so its name is singular: "
            f"{singular}:references"
        )
    return f"{relation}_id"


def parse_fields(specs: Sequence[str]) -> list[Field]:
    """Parse ``name:type[?]`` specifications; refuse unknown types, bad and repeated names."""
    if not specs:
        raise ConfigurationError("give at least one field, e.g. title:str body:text")
    fields = [_parse_one(spec) for spec in specs]
    seen: set[str] = set()
    for field in fields:
        for name in {field.name, field.relation} - {""}:
            if name in seen:
                raise ConfigurationError(f"field {name!r} is given twice")
            seen.add(name)
    return fields
