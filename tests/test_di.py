"""Dependency injection: values by type and key, per-request factories, teardown, startup errors."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import pytest

from mvcpy import ConfigurationError, Controller, Inject
from mvcpy.testing import TestClient


class Settings:
    def __init__(self, name: str) -> None:
        self.name = name


class Session:
    count = 0

    def __init__(self) -> None:
        Session.count += 1
        self.number = Session.count
        self.closed = False


class Clock:
    pass


def test_values_by_type_and_key_into_actions_and_attributes(make_app: Any) -> None:
    class Pages(Controller):
        settings: Settings
        greeting: Annotated[str, Inject("greeting")]
        per_page: int = 20  # a plain class attribute: nothing provides int, the value stays

        def show(self, id: int, settings: Settings, mode: Annotated[str, Inject("mode")]) -> Any:
            return {
                "id": id,
                "name": settings.name,
                "same": settings is self.settings,
                "mode": mode,
                "greeting": self.greeting,
                "per_page": self.per_page,
            }

        async def ashow(self, settings: Settings) -> Any:
            return {"name": settings.name, "attr": self.settings.name}

    app = make_app()
    app.provide(Settings("site"))
    app.provide("fast", key="mode")
    app.provide("hi", key="greeting")
    app.router("/p/{id:int}", Pages, "get:show")
    app.router("/a", Pages, "get:ashow")
    with TestClient(app) as client:
        assert client.get("/p/3").json() == {
            "id": 3,
            "name": "site",
            "same": True,
            "mode": "fast",
            "greeting": "hi",
            "per_page": 20,
        }
        assert client.get("/a").json() == {"name": "site", "attr": "site"}


def test_factories_run_once_per_request_and_tear_down_even_on_errors(make_app: Any) -> None:
    events: list[str] = []

    def open_session() -> Any:
        session = Session()
        events.append(f"open {session.number} on {threading.current_thread().name[:5]}")
        try:
            yield session
        finally:
            session.closed = True
            events.append(f"close {session.number}")

    async def make_clock() -> Clock:
        events.append("clock")
        return Clock()

    class Data(Controller):
        conn: Session

        def show(self, session: Session, clock: Clock) -> Any:
            return {"same": session is self.conn, "clock": isinstance(clock, Clock)}

        async def ashow(self, session: Session, clock: Clock) -> Any:
            return {"number": session.number, "closed": session.closed}

        def boom(self, session: Session) -> Any:
            raise RuntimeError("action failed")

    def handler(ctx: Any, session: Session) -> Any:
        return {"number": session.number}

    app = make_app()
    app.provide_factory(Session, open_session)
    app.provide_factory(Clock, make_clock)
    app.router("/s", Data, "get:show")
    app.router("/as", Data, "get:ashow")
    app.router("/boom", Data, "get:boom")
    app.get("/fn", handler)
    with TestClient(app, raise_server_exceptions=False) as client:
        Session.count = 0
        assert client.get("/s").json() == {"same": True, "clock": True}
        assert events == ["open 1 on mvcpy", "clock", "close 1"]
        events.clear()
        assert client.get("/as").json() == {"number": 2, "closed": False}
        assert events[-1] == "close 2"
        events.clear()
        assert client.get("/boom").status_code == 500
        assert events == ["open 3 on mvcpy", "close 3"]
        events.clear()
        assert client.get("/fn").json() == {"number": 4}
        assert events[-1] == "close 4"


def test_unresolved_injection_fails_at_startup_naming_route_and_parameter(make_app: Any) -> None:
    class Needs(Controller):
        def show(self, settings: Settings) -> Any:
            return None

    app = make_app()
    app.router("/needs", Needs, "get:show", name="needs")
    with pytest.raises(ConfigurationError, match=r"Needs\.show.*'settings' needs Settings"):
        app.start()

    class NeedsAttr(Controller):
        clock: Annotated[Clock, Inject()]
        user: Settings | None  # a plain annotation: set by the controller itself, not checked

        def show(self) -> Any:
            return None

    app = make_app()
    app.router("/attr", NeedsAttr, "get:show")
    with pytest.raises(ConfigurationError, match=r"NeedsAttr\.clock needs Clock"):
        app.start()

    def keyed(ctx: Any, db: Annotated[str, Inject("db")]) -> Any:
        return None

    app = make_app()
    app.get("/k", keyed)
    with pytest.raises(ConfigurationError, match="needs key 'db'"):
        app.start()


def test_injecting_over_a_controller_attribute_fails_at_startup(make_app: Any) -> None:
    class Shadow(Controller):
        request: Settings  # type: ignore[assignment]  # Controller.request is set per request

        def show(self) -> Any:
            return None

    class Prop(Controller):
        @property
        def settings(self) -> Any:
            return None

    class UsesProp(Prop):
        settings: Settings  # type: ignore[assignment]

        def show(self) -> Any:
            return None

    for controller in (UsesProp, Shadow):
        app = make_app()
        app.provide(Settings("x"))
        app.router("/p", controller, "get:show")
        with pytest.raises(
            ConfigurationError, match=rf"{controller.__name__}\.\w+: the controller"
        ):
            app.start()


def test_provide_after_start_is_refused(make_app: Any) -> None:
    app = make_app()
    app.start()
    with pytest.raises(ConfigurationError, match="after the app has started"):
        app.provide(Settings("x"))
