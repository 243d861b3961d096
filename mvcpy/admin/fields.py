"""What the admin makes of a model's columns: the input each one gets, the pydantic form
that checks what is sent, and how a stored value is shown and put back into a form."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model
from sqlalchemy.types import TypeDecorator

from mvcpy.errors import ConfigurationError
from mvcpy.orm.session import integer_range
from mvcpy.translation import gettext

__all__ = [
    "AdminField",
    "column_field",
    "display",
    "form_model",
    "form_value",
    "label_of",
    "target_of",
]


@dataclass(frozen=True)
class AdminField:
    """One editable column: its input, its constraints and the annotation that checks it."""

    #: the column's attribute name (the input's name)
    name: str
    #: shown beside the input
    label: str
    #: bool, int, float, decimal, str, text, date, datetime, time, choice or reference
    kind: str
    #: the HTML input: checkbox, number, text, textarea, date, datetime-local, time, select
    input: str
    #: whether a value must be given (a NOT NULL column; a checkbox never is)
    required: bool
    #: what the form's pydantic field is
    annotation: Any
    #: a text's longest length, when the column has one
    max_length: int | None = None
    #: the values of an enum column
    choices: tuple[str, ...] = ()
    #: the model a foreign key points to
    target: type[Any] | None = None
    #: the number input's step
    step: str = ""


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _empty_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _base_type(column_type: Any) -> Any:
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type


def label_of(name: str) -> str:
    """``author_id`` -> ``Author``, ``published_at`` -> ``Published at``."""
    if name.endswith("_id"):
        name = name[:-3]
    return name.replace("_", " ").capitalize()


def target_of(model: type[Any], column: sa.Column[Any]) -> type[Any] | None:
    """The mapped class a foreign key ``column`` of ``model`` points to, or None."""
    foreign = next(iter(column.foreign_keys), None)
    if foreign is None:
        return None
    table = foreign.column.table
    for mapper in sa.inspect(model).registry.mappers:
        if mapper.local_table is table:
            return mapper.class_  # type: ignore[no-any-return]
    return None


def column_field(model: type[Any], name: str) -> AdminField:
    """The :class:`AdminField` of ``model``'s column attribute ``name``; a
    :class:`~mvcpy.errors.ConfigurationError` for a name that is no column or a type
    the admin cannot edit."""
    mapper = sa.inspect(model)
    attribute = mapper.column_attrs.get(name)
    if attribute is None:
        raise ConfigurationError(f"{model.__name__} has no column {name!r} to edit in the admin")
    column = attribute.columns[0]
    required = not column.nullable
    label = label_of(name)
    target = target_of(model, column)
    column_type = _base_type(column.type)
    kind, input_type, python, extra = _kind(model, name, column_type, target)
    constraints: dict[str, Any] = {}
    if kind in ("str", "text"):
        constraints["max_length"] = extra.get("max_length")
    bounds = integer_range(column_type) if kind in ("int", "reference") else None
    if bounds is not None:
        constraints.update(ge=bounds[0], le=bounds[1])
    if kind == "decimal":
        constraints.update(max_digits=extra.get("precision"), decimal_places=extra.get("scale"))
    annotation: Any = Annotated[
        python, Field(**{k: v for k, v in constraints.items() if v is not None})
    ]
    if kind in ("str", "text"):
        annotation = Annotated[annotation, AfterValidator(_no_nul)]
    if kind != "bool":
        annotation = Annotated[annotation | None, BeforeValidator(_empty_is_none)]
    return AdminField(
        name=name,
        label=label,
        kind=kind,
        input=input_type,
        required=required and kind != "bool",
        annotation=annotation,
        max_length=extra.get("max_length"),
        choices=extra.get("choices", ()),
        target=target,
        step=extra.get("step", ""),
    )


def _kind(
    model: type[Any], name: str, column_type: Any, target: type[Any] | None
) -> tuple[str, str, Any, dict[str, Any]]:
    """(kind, input, python type, extras) of a column type."""
    if target is not None:
        return "reference", "select", column_type.python_type, {"step": "1"}
    if isinstance(column_type, sa.Enum):
        values = tuple(column_type.enums)
        members = column_type.enum_class
        if members is None:
            return "choice", "select", Literal[values], {"choices": values}
        # The column stores a member's name, and the form sends it.
        by_name = BeforeValidator(
            lambda v: members.__members__.get(v, v) if isinstance(v, str) else v
        )
        return "choice", "select", Annotated[members, by_name], {"choices": values}
    if isinstance(column_type, sa.Boolean):
        return "bool", "checkbox", bool, {}
    if isinstance(column_type, sa.Integer):
        return "int", "number", int, {"step": "1"}
    if isinstance(column_type, sa.Float):
        return "float", "number", float, {"step": "any"}
    if isinstance(column_type, sa.Numeric):
        scale = column_type.scale
        step = f"0.{'0' * (scale - 1)}1" if scale else "any"
        extras = {"precision": column_type.precision, "scale": scale, "step": step}
        return "decimal", "number", Decimal, extras
    if isinstance(column_type, sa.DateTime):
        # what the input sends has no zone: it is UTC, as the admin shows it
        utc = AfterValidator(lambda v: v.replace(tzinfo=UTC) if v.tzinfo is None else v)
        return "datetime", "datetime-local", Annotated[datetime, utc], {"step": "1"}
    if isinstance(column_type, sa.Date):
        return "date", "date", date, {}
    if isinstance(column_type, sa.Time):
        return "time", "time", time, {"step": "1"}
    if isinstance(column_type, sa.String):  # Text, Unicode and UnicodeText are Strings
        length = column_type.length
        if isinstance(column_type, sa.Text) or length is None:
            return "text", "textarea", str, {"max_length": length}
        return "str", "text", str, {"max_length": length}
    raise ConfigurationError(
        f"{model.__name__}.{name} is a {type(column_type).__name__} column, which the admin "
        "cannot edit: leave it out of fields="
    )


def form_model(name: str, fields: list[AdminField]) -> type[BaseModel]:
    """The pydantic model that checks a submitted form of ``fields`` (other keys, the CSRF
    token among them, are ignored; texts are stripped; an empty input is None)."""
    definitions: dict[str, Any] = {
        field.name: (field.annotation, False if field.kind == "bool" else None) for field in fields
    }
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(str_strip_whitespace=True), **definitions
    )
    return model


def form_value(value: Any) -> Any:
    """A stored value as a form's input holds it (``datetime-local`` takes seconds, UTC)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bool):
        return value
    return str(value)


def display(value: Any) -> str:
    """A stored value as a list or a confirmation page shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo is not None else value
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, enum.Enum):
        return str(value.value)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
