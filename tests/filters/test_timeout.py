import asyncio
import threading
from typing import Any

import pytest

from mvcpy.filters.timeout import Timeout
from mvcpy.testing import TestClient


def test_a_slow_async_action_is_cancelled_and_answered_503(make_app: Any) -> None:
    cleaned: list[str] = []
    reached_end: list[str] = []

    async def slow(ctx: Any) -> Any:
        try:
            await asyncio.sleep(30)
            reached_end.append("slow")
        finally:
            cleaned.append("finally ran")
        return {}

    app = make_app()
    app.get("/slow", slow, filters=[Timeout(0.05)])
    app.get("/fast", lambda ctx: {"ok": True}, filters=[Timeout(5)])
    with TestClient(app) as client:
        response = client.get("/slow")
        assert client.get("/fast").json() == {"ok": True}
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "The server took too long to answer this request"
    # cancelled at its await: the sleep never finished, its finally block ran
    assert cleaned == ["finally ran"] and reached_end == []


def test_a_sync_action_is_answered_on_time_and_its_result_discarded(make_app: Any) -> None:
    release = threading.Event()
    finished = threading.Event()

    def blocking(ctx: Any) -> Any:
        release.wait(10)
        finished.set()
        return {"late": True}

    app = make_app()
    app.get("/blocking", blocking, filters=[Timeout(0.05, status=504, message="gave up")])
    with TestClient(app) as client:
        response = client.get("/blocking")
        assert not finished.is_set()  # the client was answered while the thread still ran
        release.set()
        assert finished.wait(10)
    assert response.status_code == 504 and response.json()["error"]["message"] == "gave up"


def test_seconds_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Timeout(0)
