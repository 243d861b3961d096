"""A third-party component, as a distribution would ship it (installed by entry point)."""

from __future__ import annotations

import argparse
from typing import Any

from mvcpy.components import Check, CheckResult, Command, CommandContext, Component, Setup
from mvcpy.config import Section


class ExtraSettings(Section):
    """``[extra]``: the greeting the component serves."""

    greeting: str = "hello"
    ready: bool = True


def _stamp(header: str) -> Any:
    async def stamp(ctx: Any, call_next: Any) -> Any:
        response = await call_next(ctx)
        response.set_header(header, "1")
        return response

    return stamp


def _check(settings: ExtraSettings) -> Check:
    def extra_ready(app: Any) -> CheckResult:
        if settings.ready:
            return CheckResult("extra", True, "ready")
        return CheckResult("extra", False, "set [extra] ready = true")

    return extra_ready


def _greet(context: CommandContext) -> int:
    app = context.load_app()
    settings = app.config.section_of(ExtraSettings)
    print(f"{settings.greeting}, {context.args.name} from {app.config.core.app_name}")
    return 0


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")


class ExtraComponent(Component):
    """Adds a route, a filter, a template global, a check and the ``mvcpy greet`` command."""

    name = "extra"
    sections = {"extra": ExtraSettings}
    commands = (Command("greet", "greet someone", _greet, _configure),)

    def __init__(self) -> None:
        self.started = False
        self.stopped = False

    def install(self, setup: Setup) -> None:
        settings = setup.settings(ExtraSettings)
        setup.route("GET", "/-/extra", lambda ctx: {"greeting": settings.greeting}, name="extra")
        setup.add_filter(_stamp("x-extra"))
        setup.template_global("extra_greeting", settings.greeting)
        setup.check(_check(settings))

    async def startup(self) -> None:
        self.started = True

    async def shutdown(self) -> None:
        self.stopped = True
