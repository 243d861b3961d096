"""The app's worker threads: sync code off the event loop, on a bounded pool."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.testing import TestClient
from mvcpy.threads import WorkerThreads, in_thread

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def test_a_call_returns_or_raises_on_a_worker_thread() -> None:
    threads = WorkerThreads(2)

    async def main() -> None:
        here = threading.get_ident()
        assert await threads.call(threading.get_ident) != here
        assert await threads.call(divmod, 7, 2) == (3, 1)
        with pytest.raises(ZeroDivisionError):
            await threads.call(divmod, 1, 0)

    asyncio.run(main())
    threads.shutdown()


def test_idle_threads_are_reused_and_the_pool_is_bounded() -> None:
    threads = WorkerThreads(3)
    gate = threading.Event()
    running: list[int] = []

    def blocked() -> int:
        running.append(threading.get_ident())
        gate.wait(5)
        return 1

    async def main() -> None:
        for _ in range(5):  # one at a time: the same thread serves them all
            await threads.call(time.sleep, 0)
        assert threads.threads == 1
        calls = [asyncio.ensure_future(threads.call(blocked)) for _ in range(5)]
        deadline = time.monotonic() + 5
        while len(running) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert len(running) == 3  # at most max_workers at once; two wait their turn
        assert threads.threads == 3
        gate.set()
        assert await asyncio.gather(*calls) == [1] * 5

    asyncio.run(main())
    threads.shutdown()


def test_a_cancelled_wait_leaves_the_pool_working() -> None:
    threads = WorkerThreads(1)
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.1)
        finished.set()

    async def main() -> None:
        task = asyncio.ensure_future(threads.call(slow))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await threads.call(divmod, 9, 4) == (2, 1)  # the call ended, then this ran
        assert finished.is_set()

    asyncio.run(main())
    threads.shutdown()


def test_it_is_an_executor_for_run_in_executor() -> None:
    threads = WorkerThreads(2)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(threads, divmod, 5, 3) == (1, 2)
        assert await in_thread(threads, divmod, 5, 3) == (1, 2)
        assert await in_thread(None, divmod, 5, 3) == (1, 2)  # asyncio's default executor

    asyncio.run(main())
    assert threads.submit(pow, 2, 10).result(timeout=5) == 1024
    threads.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        threads.submit(pow, 2, 10)


class SlowController(Controller):
    def sleep(self) -> Any:
        time.sleep(0.3)  # blocking, as sync code may
        return {"request_id": REQUEST_ID.get(), "thread": threading.current_thread().name}

    async def ping(self) -> Any:
        return {"pong": True}


async def set_request_id(ctx: Any, call_next: Any) -> Any:
    REQUEST_ID.set("r-1")
    return await call_next(ctx)


def test_sync_actions_run_on_the_apps_threads_and_never_stall_the_loop() -> None:
    app = App(env="test", config={"worker_threads": 2})
    app.use(set_request_id)
    app.router("/sleep", SlowController, "get:sleep")
    app.router("/ping", SlowController, "get:ping")
    with TestClient(app) as client:
        results: list[Any] = []
        sleepers = [
            threading.Thread(target=lambda: results.append(client.get("/sleep").json()))
            for _ in range(2)
        ]
        for sleeper in sleepers:
            sleeper.start()
        time.sleep(0.05)
        started = time.monotonic()
        assert client.get("/ping").json() == {"pong": True}
        assert time.monotonic() - started < 0.25  # answered while both threads sleep
        for sleeper in sleepers:
            sleeper.join()
    # A context variable an async filter set is seen by the sync action on its thread.
    assert [r["request_id"] for r in results] == ["r-1", "r-1"]
    assert all(r["thread"].startswith("mvcpy-worker") for r in results)
