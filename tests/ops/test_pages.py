"""The operations pages in process: the dashboard's numbers as JSON and HTML, who may open
them, the settings with secrets masked, the profile, the hub, jobs and cron, the
project's layout, and another worker's numbers read from its file."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App
from mvcpy.testing import TestClient
from mvcpy.websocket import WebSocketController

JSON = {"accept": "application/json"}


class Viewer:
    id = 1

    def has_permission(self, name: str) -> bool:
        return name == "ops.view"


def _app(tmp_path: Path, extra: dict[str, Any] | None = None, **ops: Any) -> App:
    config = {
        "ops": {"enabled": True, "permission": "", "state_dir": str(tmp_path / "ops"), **ops},
        # never connected to: the pages show the URL, masked, and no pool is opened
        "database": {"url": "postgresql+psycopg://app:hunter2@db.internal/app"},
        "health": {"database": False},
        "secret_key": "a-secret-that-must-not-show-0123456789",
        **(extra or {}),
    }
    app = App(root_path=tmp_path, env="test", config=config)
    app.get("/items/{id:int}", lambda ctx, id: {"id": id}, name="items.show")
    app.post("/items", lambda ctx: 1 / 0, name="items.create")
    return app


def test_the_dashboard_counts_each_route(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app, raise_server_exceptions=False) as client:
        for n in range(4):
            assert client.get(f"/items/{n}").status_code == 200
        assert client.post("/items").status_code == 500
        assert client.get("/missing").status_code == 404
        overview = client.get("/-/ops/", headers=JSON).json()
        page = client.get("/-/ops/")
    routes = {(r["route"], r["method"]): r for r in overview["routes"]}
    assert routes[("items.show", "GET")]["count"] == 4
    assert routes[("items.create", "POST")]["errors"] == 1
    assert routes[("items.create", "POST")]["error_rate"] == 1.0
    assert routes[("<unmatched>", "GET")]["client_errors"] == 1
    assert overview["worker"] == os.getpid() and len(overview["workers"]) == 1
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<td>items.show</td>" in page.text and "Operations" in page.text


def test_only_allowed_addresses_and_users_get_in(tmp_path: Path) -> None:
    elsewhere = _app(tmp_path, allow=["10.0.0.0/8"])
    with TestClient(elsewhere) as client:
        refused = client.get("/-/ops/")
    assert refused.status_code == 403 and "[ops] allow" in refused.text

    guarded = _app(tmp_path, permission="ops.view")
    guarded.user_loader(lambda user_id: Viewer() if user_id == 1 else object())
    guarded.route("/login", lambda ctx: "log in", name="login")
    with TestClient(guarded) as client:
        assert client.get("/-/ops/", follow_redirects=False).status_code == 302
        client.login_as(2)  # a user without the permission
        assert client.get("/-/ops/").status_code == 403
        client.login_as(1)
        assert client.get("/-/ops/").status_code == 200


def test_settings_are_shown_with_secrets_masked(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        page = client.get("/-/ops/settings").text
        data = client.get("/-/ops/settings?format=json").json()
    assert "hunter2" not in page and "a-secret-that-must-not-show" not in page
    assert "[database] url" in page and "db.internal" in page
    assert data["env"] == "test" and data["settings"]["ops"]["enabled"] is True
    assert "hunter2" not in json.dumps(data)


def test_a_profile_shows_what_the_worker_was_doing(tmp_path: Path) -> None:
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(500))

    spinner = threading.Thread(target=spin, name="spinner")
    spinner.start()
    try:
        with TestClient(_app(tmp_path, profile_max_seconds=2)) as client:
            report = client.get("/-/ops/profile?seconds=0.5", headers=JSON).json()
            stacks = client.get("/-/ops/profile?seconds=0.2&format=collapsed").text
            too_long = client.get("/-/ops/profile?seconds=3")
            not_a_number = client.get("/-/ops/profile?seconds=soon")
    finally:
        stop.set()
        spinner.join()
    assert report["samples"] > 10
    assert any("spin" in name for name, _ in report["own"])
    assert any(line.startswith("spinner;") and "spin (test_pages.py" in line
               for line in stacks.splitlines())  # fmt: skip
    assert too_long.status_code == 400 and "at most 2" in too_long.text
    assert not_a_number.status_code == 400


def test_health_checks_are_run(tmp_path: Path) -> None:
    app = _app(tmp_path)

    def broken(app: Any) -> None:
        raise RuntimeError("down")

    app.health_checks["queue"] = broken  # added after the component: still run
    with TestClient(app) as client:
        health = client.get("/-/ops/", headers=JSON).json()["health"]
    assert health == {"queue": "error"}


class Lobby(WebSocketController):
    async def on_connect(self) -> None:
        await self.accept()
        await self.join("lobby")

    async def on_message(self, data: Any) -> None:
        await self.hub.broadcast("lobby", data)


def test_the_hub_and_open_connections(tmp_path: Path) -> None:
    app = _app(tmp_path)
    app.websocket("/ws", Lobby, name="lobby")
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
        overview = client.get("/-/ops/", headers=JSON).json()
    assert overview["hub"] == {"connections": 1, "rooms": {"lobby": 1}, "published": 1,
                               "delivered": 1}  # fmt: skip
    assert overview["workers"][0]["websockets"] == 1


def test_jobs_and_cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mvcpy.jobs import cron, job

    @job(queue="mail")
    def deliver(to: str) -> None:
        """Nothing: queued only."""

    @cron("0 3 * * *", timezone="Europe/Paris")
    def nightly() -> None:
        """Nothing: scheduled only."""

    app = _app(tmp_path, {"jobs": {"modules": [__name__]}})
    with TestClient(app) as client:
        deliver.send(to="ann@example.com")
        deliver.send(to="bob@example.com")
        jobs = client.get("/-/ops/", headers=JSON).json()["jobs"]
        page = client.get("/-/ops/").text
    assert jobs["backend"] == "memory"
    assert jobs["queues"] == [{"queue": "mail", "todo": 2, "doing": 0, "failed": 0}]
    (tick,) = [c for c in jobs["cron"] if c["cron"] == "0 3 * * *"]
    assert tick["timezone"] == "Europe/Paris"
    assert tick["next"].endswith(("T03:00+01:00", "T03:00+02:00"))  # 3 a.m. in Paris
    assert "<td>mail</td>" in page


def test_the_pages_wear_the_projects_layout(tmp_path: Path) -> None:
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "layout.html").write_text(
        "<header>the project</header>{% block content %}{% endblock %}"
    )
    with TestClient(_app(tmp_path)) as client:
        page = client.get("/-/ops/").text
    assert page.startswith("<header>the project</header>") and "<h1>Operations</h1>" in page


def test_another_workers_numbers_are_added(tmp_path: Path) -> None:
    from mvcpy.ops.routes import RouteTally

    other = RouteTally()
    for _ in range(3):
        other.record("items.show", "GET", 200, 0.004)
    (tmp_path / "ops").mkdir()
    parent = os.getppid()  # a live process that is not this one
    snapshot = {"pid": parent, "at": time.time(), "routes": other.snapshot(), "pool": None,
                "hub": None, "websockets": 0}  # fmt: skip
    (tmp_path / "ops" / f"worker-{parent}.json").write_text(json.dumps(snapshot))
    gone = {**snapshot, "pid": 2**22 + 7}  # no such process: its file is dropped
    (tmp_path / "ops" / f"worker-{2**22 + 7}.json").write_text(json.dumps(gone))
    app = _app(tmp_path)
    with TestClient(app) as client:
        client.get("/items/1")
        overview = client.get("/-/ops/", headers=JSON).json()
    (row,) = [r for r in overview["routes"] if r["route"] == "items.show"]
    assert row["count"] == 4
    assert sorted(w["pid"] for w in overview["workers"]) == sorted([os.getpid(), parent])
    assert not (tmp_path / "ops" / f"worker-{2**22 + 7}.json").exists()
    assert not (tmp_path / "ops" / f"worker-{os.getpid()}.json").exists()  # removed at stop
