"""The generators: ``controller``, ``model`` and ``scaffold`` (``migration`` is in migrations.py).

Each builds a :class:`~mvcpy.generate.files.Plan` of every file it writes and edits,
checks it (nothing is written when a file would be overwritten without ``force``),
then writes it and, for models, the revision that creates the table.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

from mvcpy.controller import Controller
from mvcpy.errors import ConfigurationError
from mvcpy.generate.fields import Field, parse_fields
from mvcpy.generate.files import (
    Change,
    Plan,
    add_import,
    add_to_all,
    add_to_function,
    call_lines,
    render,
)
from mvcpy.generate.layout import Project
from mvcpy.generate.migrations import TableMigration, model_table
from mvcpy.generate.naming import ControllerNames, ResourceNames, snake
from mvcpy.generate.references import resolve_references

__all__ = ["generate_controller", "generate_model", "generate_scaffold"]

_INDENT = "    "


def _route(project: Project, plan: Plan, module: str, cls: str, lines: list[list[str]]) -> None:
    """Plan the import of ``cls`` and the route registrations in ``routes.py``."""
    routes = project.require("routes.py")
    where = plan.show(routes)
    text = plan.current(routes)
    text = add_import(text, f"{project.package}.controllers.{module}", cls, project.package, where)
    for block in lines:
        text = add_to_function(text, "register", block, where)
    plan.edit(routes, text)


def _say_note(names: ResourceNames, out: TextIO | None) -> None:
    if names.note:
        print(f"    note  {names.note}", file=out or sys.stdout)


def _article(label: str) -> str:
    return "an" if label[:1].lower() in "aeiou" else "a"


# -- controller -------------------------------------------------------------------------
def _actions(actions: Sequence[str]) -> list[str]:
    result: list[str] = []
    for action in actions or ["index"]:
        name = snake(action, "action")
        if name != action:
            raise ConfigurationError(f"action {action!r}: write actions in snake_case ({name})")
        if hasattr(Controller, name):
            raise ConfigurationError(
                f"action {name!r} is a method or attribute of mvcpy's Controller, which the "
                "action would replace: choose another name"
            )
        if name in result:
            raise ConfigurationError(f"action {name!r} is given twice")
        result.append(name)
    return result


def generate_controller(
    project: Project,
    name: str,
    actions: Sequence[str] = (),
    *,
    force: bool = False,
    out: TextIO | None = None,
) -> list[Change]:
    """Write a controller with GET ``actions`` (default ``index``), its views, routes and tests.

    ``index`` answers ``/<name>``, any other action ``/<name>/<action>``; every route is
    named ``<name>.<action>``. In a JSON API project the actions return JSON and no view
    is written.
    """
    names = ControllerNames.parse(name)
    chosen = _actions(actions)
    plan = Plan(project.root, force)
    paths = {
        action: names.path if action == "index" else f"{names.path}/{action.replace('_', '-')}"
        for action in chosen
    }
    context: dict[str, Any] = {
        "names": names,
        "actions": chosen,
        "paths": paths,
        "api": project.api,
        "project": project.package,
    }
    plan.add(
        project.require("controllers") / f"{names.name}.py",
        render("controller.py.jinja", **context),
    )
    if not project.api:
        for action in chosen:
            plan.add(
                project.path("views", names.name, f"{action}.html"),
                render("views/action.html.jinja", action=action, **context),
            )
    plan.add(
        project.root / "tests" / f"test_{names.name}.py",
        render("controller_test.py.jinja", **context),
    )
    routes = [
        call_lines(
            "app.router",
            [
                f'"{paths[action]}"',
                names.controller_class,
                f'"get:{action}"',
                f'name="{names.name}.{action}"',
            ],
            _INDENT,
        )
        for action in chosen
    ]
    _route(project, plan, names.name, names.controller_class, routes)
    return plan.write(out)


# -- model and scaffold -------------------------------------------------------------------
def _context(project: Project, names: ResourceNames, fields: list[Field]) -> dict[str, Any]:
    invalid = next((f for f in fields if f.invalid is not None), None)
    kept = next((f for f in fields if f is not invalid and f.type.name != "bool"), None)
    shown = next(
        (f for f in fields if f.type.name in ("str", "text", "int", "float", "date")), None
    )
    return {
        "project": project.package,
        "api": project.api,
        "names": names,
        "fields": fields,
        "article": _article(names.label),
        "python_imports": sorted({f.type.python_import for f in fields} - {""}),
        "sql_imports": sorted({f.type.sql_import for f in fields}),
        "references": [f for f in fields if f.reference is not None],
        "blank_fields": [f for f in fields if f.optional and f.type.python == "str"],
        "text_fields": [f for f in fields if f.type.python == "str"],
        "has_int": any(f.type.name in ("int", "references") for f in fields),
        "has_decimal": any(f.type.name == "decimal" for f in fields),
        "has_bool": any(f.type.name == "bool" for f in fields),
        "title_field": next((f for f in fields if f.type.name == "str"), None),
        "invalid_field": invalid,
        "kept_snippet": _kept_snippet(kept),
        "shown_snippet": _shown_snippet(shown),
    }


def _kept_snippet(field: Field | None) -> str:
    """What a re-rendered form shows of the value sent for ``field``."""
    if field is None:
        return ""
    value = field.type.sample[0]
    return f">{value}</textarea>" if field.type.input == "textarea" else f'value="{value}"'


def _shown_snippet(field: Field | None) -> str:
    """What the show page writes for the stored sample value of ``field``."""
    if field is None:
        return ""
    css = ' class="text"' if field.type.name == "text" else ""
    return f"<dd{css}>{field.type.sample[0]}</dd>"


def _plan_model(
    project: Project,
    plan: Plan,
    names: ResourceNames,
    fields: list[Field],
    context: dict[str, Any],
    migration: bool = True,
) -> TableMigration | None:
    """Plan the model's file and its import; return the planned migration, if wanted."""
    models = project.require("models", "__init__.py")
    plan.add(project.path("models", f"{names.singular}.py"), render("model.py.jinja", **context))
    where = plan.show(models)
    module = f"{project.package}.models.{names.singular}"
    text = add_import(plan.current(models), module, names.model_class, project.package, where)
    plan.edit(models, add_to_all(text, names.model_class, where))
    if not migration:
        return None
    return TableMigration(project, f"create {names.table}", [model_table(names, fields)], plan)


def generate_model(
    project: Project,
    name: str,
    specs: Sequence[str],
    *,
    plural: str | None = None,
    force: bool = False,
    migration: bool = True,
    out: TextIO | None = None,
) -> list[Change]:
    """Write a model (``models/<name>.py``), import it in ``models/__init__.py``, and write
    the revision that creates its table (unless ``migration`` is false)."""
    names = ResourceNames.parse(name, plural)
    fields = resolve_references(project, parse_fields(specs), names.model_class)
    _say_note(names, out)
    plan = Plan(project.root, force)
    table = _plan_model(project, plan, names, fields, _context(project, names, fields), migration)
    changes = plan.write(out)
    if table is not None:
        table.write(out)
    return changes


def generate_scaffold(
    project: Project,
    name: str,
    specs: Sequence[str],
    *,
    plural: str | None = None,
    force: bool = False,
    out: TextIO | None = None,
) -> list[Change]:
    """Write a model, its migration, form, REST controller, views, routes and tests.

    In a JSON API project (no ``views/``) the controller has the five JSON actions
    (index, show, create, update, destroy), no view is written, and the tests send JSON.
    """
    names = ResourceNames.parse(name, plural)
    fields = resolve_references(project, parse_fields(specs), names.model_class)
    _say_note(names, out)
    plan = Plan(project.root, force)
    context = _context(project, names, fields)
    table = _plan_model(project, plan, names, fields, context)
    assert table is not None
    forms = project.path("forms", "__init__.py")
    if not forms.exists():
        docstring = f"The forms of {project.package}: pydantic models that controllers bind."
        plan.add(forms, render("package_init.py.jinja", docstring=docstring))
    plan.add(project.path("forms", f"{names.singular}.py"), render("form.py.jinja", **context))
    kind = "api_resource" if project.api else "resource"
    plan.add(
        project.require("controllers") / f"{names.plural}.py",
        render(f"{kind}_controller.py.jinja", **context),
    )
    if not project.api:
        for view in ("index", "show", "new", "edit", "_form"):
            plan.add(
                project.path("views", names.plural, f"{view}.html"),
                render(f"views/{view}.html.jinja", **context),
            )
    plan.add(
        project.root / "tests" / f"test_{names.plural}.py",
        render(f"{kind}_test.py.jinja", **context),
    )
    args = [f'"{names.path}"', names.controller_class]
    if names.path.lstrip("/") != names.route:
        args.append(f'name="{names.route}"')  # the path has dashes, the names underscores
    args.append('param="id:int"')
    # resource() routes only the actions the controller defines: no new and edit in an API.
    routes = [call_lines("app.resource", args, _INDENT)]
    _route(project, plan, names.plural, names.controller_class, routes)
    changes = plan.write(out)
    table.write(out)
    return changes
