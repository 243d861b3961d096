"""What a ``post:references`` field points to, read from the project's ``Post`` model.

The generator does not import the project (its models may not import cleanly while
they are being written): it reads ``models/post.py`` as source, for the class, its
table and the text field that names a row in a select (``title``, else the first
``Mapped[str]``).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence

from mvcpy.errors import ConfigurationError
from mvcpy.generate.fields import Field, Reference
from mvcpy.generate.layout import Project
from mvcpy.generate.naming import ResourceNames

__all__ = ["read_reference", "resolve_references"]

#: The text columns that name a row, in the order a label is looked for.
_LABEL_NAMES = ("title", "name", "label", "email", "username")


def _text_columns(node: ast.ClassDef) -> list[str]:
    return [
        item.target.id
        for item in node.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and ast.unparse(item.annotation) in ("Mapped[str]", "Mapped[str | None]")
    ]


def _table_name(node: ast.ClassDef) -> str | None:
    for item in node.body:
        if (
            isinstance(item, ast.Assign)
            and [getattr(t, "id", "") for t in item.targets] == ["__tablename__"]
            and isinstance(item.value, ast.Constant)
            and isinstance(item.value.value, str)
        ):
            return item.value.value
    return None


def read_reference(project: Project, field: Field, model_class: str) -> Reference:
    """Return what ``field`` (``post_id``) points to; refuse when the model is not there."""
    names = ResourceNames.parse(field.relation)
    if names.model_class == model_class:
        raise ConfigurationError(
            f"field {field.relation}:references points to the model being generated; a "
            "model that references itself needs its column written by hand "
            "(parent_id: Mapped[int | None] = mapped_column(ForeignKey(...)))"
        )
    path = project.path("models", f"{names.singular}.py")
    shown = f"{project.package}/models/{names.singular}.py"
    if not path.is_file():
        raise ConfigurationError(
            f"field {field.relation}:references: there is no {names.model_class} model "
            f"({shown}); generate it first, e.g. mvcpy generate scaffold "
            f"{names.singular} title:string"
        )
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError as exc:
        raise ConfigurationError(
            f"{shown} does not parse (line {exc.lineno}): fix it first"
        ) from None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == names.model_class:
            table = _table_name(node)
            if table is None:
                break
            texts = _text_columns(node)
            title = next((n for n in _LABEL_NAMES if n in texts), texts[0] if texts else "")
            module = f"{project.package}.models.{names.singular}"
            # A scaffold of the referenced model has its show page: link to it.
            shown_page = project.path("views", table, "show.html").is_file()
            return Reference(names.model_class, module, table, title, table if shown_page else "")
    raise ConfigurationError(
        f"field {field.relation}:references: {shown} has no class {names.model_class} with "
        "a __tablename__"
    )


def resolve_references(project: Project, fields: Sequence[Field], model_class: str) -> list[Field]:
    """Return ``fields`` with each reference's :class:`Reference` read from the project."""
    return [
        dataclasses.replace(field, reference=read_reference(project, field, model_class))
        if field.type.name == "references"
        else field
        for field in fields
    ]
