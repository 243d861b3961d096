"""The small generators: ``mvcpy generate view``, ``filter`` and ``test``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from mvcpy.errors import ConfigurationError
from mvcpy.generate.files import Change, Plan, render
from mvcpy.generate.layout import Project
from mvcpy.generate.naming import ControllerNames, camel, snake

__all__ = ["generate_filter", "generate_test", "generate_view"]


def generate_view(
    project: Project,
    controller: str,
    actions: Sequence[str],
    *,
    force: bool = False,
    out: TextIO | None = None,
) -> list[Change]:
    """Write ``views/<controller>/<action>.html`` per action, extending the layout: the
    views a controller's actions render when they return nothing."""
    if project.api:
        raise ConfigurationError("a JSON API project (mvcpy new --api) has no views")
    names = ControllerNames.parse(controller)
    if not actions:
        raise ConfigurationError("name at least one action: mvcpy generate view pages about")
    plan = Plan(project.root, force)
    for action in actions:
        name = snake(action, "action")
        path = f"{names.name}/{name}.html"
        plan.add(
            project.path("views", names.name, f"{name}.html"),
            render(
                "view.html.jinja",
                project=project.package,
                path=path,
                label=name.replace("_", " ").capitalize(),
                action_hint=f"{names.controller_class}.{name}",
            ),
        )
    return plan.write(out)


def generate_filter(
    project: Project, name: str, *, force: bool = False, out: TextIO | None = None
) -> list[Change]:
    """Write ``filters/<name>.py`` (an async filter to fill in) and its test."""
    filter_name = snake(name, "filter name")
    plan = Plan(project.root, force)
    package = project.path("filters", "__init__.py")
    if not package.exists():
        plan.add(package, f'"""The filters of {project.package}: code around actions."""\n')
    context = {
        "project": project.package,
        "name": filter_name,
        "header": filter_name.replace("_", "-"),
    }
    plan.add(project.path("filters", f"{filter_name}.py"), render("filter.py.jinja", **context))
    plan.add(
        project.root / "tests" / f"test_filter_{filter_name}.py",
        render("filter_test.py.jinja", **context),
    )
    return plan.write(out)


def generate_test(
    project: Project, name: str, *, force: bool = False, out: TextIO | None = None
) -> list[Change]:
    """Write ``tests/test_<name>.py``: a request through ``client`` and a ``db`` query to
    start from."""
    test_name = snake(name, "test name")
    plan = Plan(project.root, force)
    plan.add(
        project.root / "tests" / f"test_{test_name}.py",
        render("test.py.jinja", name=test_name, label=camel(test_name)),
    )
    return plan.write(out)
