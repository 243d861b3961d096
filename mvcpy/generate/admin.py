"""``mvcpy generate admin MODEL...``: the project's ``admin.py`` with these models
registered (list columns, search and filters chosen from their fields), its test, and
the revision that creates the admin's audit log."""

from __future__ import annotations

import ast
import re
import sys
from typing import TextIO

from mvcpy.errors import ConfigurationError
from mvcpy.generate.files import Change, Plan, add_import, call_lines, render
from mvcpy.generate.layout import Project
from mvcpy.generate.migrations import Revision
from mvcpy.generate.naming import camel, snake

__all__ = ["generate_admin"]

#: the revision's message: an existing revision with it is kept
MESSAGE = "create the admin's audit log"

_UPGRADE = "audit.create(op.get_bind())  # the admin_log table"
_DOWNGRADE = "audit.drop(op.get_bind())"


def generate_admin(
    project: Project, models: list[str], *, force: bool = False, out: TextIO | None = None
) -> list[Change]:
    """Register ``models`` (``Post`` or ``post``) in ``admin.py``, written when missing;
    write ``tests/test_admin.py`` once and the audit log's revision once."""
    stream = out or sys.stdout
    if not project.path("models", "user.py").is_file():
        raise ConfigurationError(
            "the admin lets in the project's users: run mvcpy generate auth first"
        )
    plan = Plan(project.root, force)
    package = project.package
    path = project.path("admin.py")
    exists = path.is_file()
    text = plan.current(path) if exists else render("admin/admin.py.jinja", project=package)
    where = plan.show(path)
    for name in models:
        module = snake(name, "model")
        model_class = camel(module)
        source = project.require("models", f"{module}.py").read_text(encoding="utf-8")
        arguments = [model_class, *_options(source, model_class, f"models/{module}.py")]
        text = add_import(text, f"{package}.models.{module}", model_class, package, where)
        if not re.search(rf"\badmin\.register\(\s*{model_class}\b", text):
            text = text.rstrip("\n") + "\n" + "\n".join(call_lines("admin.register", arguments, ""))
            text += "\n"
    if exists:
        plan.edit(path, text)
    else:
        plan.add(path, text)
    test = project.root / "tests" / "test_admin.py"
    if not test.exists():
        plan.add(test, render("admin/test_admin.py.jinja", project=package))
    revision = Revision(
        project, MESSAGE, plan, code=(_UPGRADE, _DOWNGRADE), imports="from mvcpy.admin import audit"
    )
    changes = plan.write(stream)
    revision.write(stream)
    return changes


def _options(source: str, model_class: str, where: str) -> list[str]:
    """``list_display=``, ``search=`` and ``filters=`` from the model's fields: the id and
    the first four fields listed, its texts searched, its booleans and references
    filtered."""
    tree = ast.parse(source)
    found = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == model_class), None
    )
    if found is None:
        raise ConfigurationError(f"{where} has no class {model_class}")
    fields: list[tuple[str, str]] = []
    for node in found.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        value = node.value
        if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "relationship":
            continue
        annotation = ast.unparse(node.annotation).replace(" ", "")
        if not annotation.startswith("Mapped["):
            continue
        kind = annotation[len("Mapped[") : -1].removesuffix("|None")
        fields.append((node.target.id, kind))
    shown = ["id", *(name for name, _ in fields[:4])]
    search = [name for name, kind in fields if kind == "str"][:3]
    filters = [name for name, kind in fields if kind == "bool" or name.endswith("_id")]
    options = [f"list_display={shown!r}".replace("'", '"')]
    if search:
        options.append(f"search={search!r}".replace("'", '"'))
    if filters:
        options.append(f"filters={filters!r}".replace("'", '"'))
    return options
