"""``mvcpy admin``: the registered models and their permissions, and ``grant EMAIL``,
which lets a user into the admin (Django's ``createsuperuser`` for an existing account)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mvcpy.components import CommandContext

__all__ = ["configure_admin", "run_admin"]


def configure_admin(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``mvcpy admin``."""
    from mvcpy._help import examples

    for key, value in examples(
        "mvcpy admin models                  # the models and their permissions",
        "mvcpy admin grant ann@example.com   # every permission of the admin",
    ).items():
        setattr(parser, key, value)
    parser.add_argument("action", choices=("models", "grant"), help="what to do")
    parser.add_argument("email", nargs="?", help="grant: the user's email")


def run_admin(context: CommandContext) -> int:
    """Run ``mvcpy admin ACTION``."""
    from mvcpy.admin.settings import AdminSettings

    args = context.args
    app: Any = context.load_app()
    pages = app.services.get("admin")
    if pages is None:
        print(
            "mvcpy: the admin is off: the project has no admin module (mvcpy generate admin "
            "Post) and [admin] site is not set",
            file=sys.stderr,
        )
        return 2
    site = pages.site
    access = app.config.section_of(AdminSettings).permission
    if args.action == "models":
        print(f"{access:<28} enter the admin")
        for registered in site:
            names = ", ".join(
                registered.permission(a) for a in ("view", "create", "edit", "delete")
            )
            print(f"{registered.model.__name__:<28} {names}")
        return 0
    if not args.email:
        print("mvcpy admin grant needs the user's email", file=sys.stderr)
        return 2
    if site.grant is None:
        print(
            "mvcpy: the project's Admin() has no grant= function (the generated admin.py "
            "has one: grant_access)",
            file=sys.stderr,
        )
        return 2
    with app.database.session() as db:
        try:
            said = site.grant(db, args.email, [access, *site.permissions()])
        except LookupError as exc:
            print(f"mvcpy: {exc.args[0] if exc.args else exc}", file=sys.stderr)
            return 1
        db.commit()
    print(said)
    return 0
