"""The app's worker threads: where sync actions, sync filters and sync session ends run,
so blocking code never stalls the event loop.

:meth:`WorkerThreads.call` is the hand-off the request path uses: the loop puts the call
on a queue and awaits a plain asyncio future, and the thread that ran it settles that
future with one ``call_soon_threadsafe``. ``loop.run_in_executor`` does the same through
a ``concurrent.futures.Future``, its lock and condition and two chained callbacks, which
cost a sync action more than the rest of its request path. ``WorkerThreads`` is also a
``concurrent.futures.Executor``, for code that asks for one (``run_in_executor``).

Threads start as calls wait for one, up to ``[core] worker_threads`` (docs/running.md),
and are reused when idle, like ``ThreadPoolExecutor``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from queue import SimpleQueue
from typing import Any, TypeVar

__all__ = ["WorkerThreads", "in_thread"]

T = TypeVar("T")

#: a call to make on a worker thread: (settle, fn, args), or None to stop the thread
_Work = tuple[Callable[[Any, BaseException | None], None], Callable[..., Any], tuple[Any, ...]]


class WorkerThreads(Executor):
    """A pool of up to ``max_workers`` threads, started on demand."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "mvcpy-worker") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be 1 or more")
        self.max_workers = max_workers
        self._prefix = thread_name_prefix
        self._queue: SimpleQueue[_Work | None] = SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a worker thread and return what it returns (or raise
        what it raises); the awaiting task may be cancelled, the call still ends."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(result: Any, error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits
                loop.call_soon_threadsafe(_settle, future, result, error)

        self._put((settle, fn, args))
        return await future

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """``Executor.submit``: run ``fn(*args, **kwargs)`` on a worker thread."""
        future: Future[T] = Future()

        def settle(result: Any, error: BaseException | None) -> None:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        def call() -> T:
            if not future.set_running_or_notify_cancel():
                raise _Cancelled
            return fn(*args, **kwargs)

        self._put((settle, call, ()))
        return future

    def _put(self, work: _Work) -> None:
        if self._closed:
            raise RuntimeError("the worker threads are shut down")
        self._queue.put(work)
        if self._idle.acquire(blocking=False):
            return  # an idle thread takes it
        with self._lock:
            if len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._work,
                    name=f"{self._prefix}_{len(self._threads)}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        queue, idle = self._queue, self._idle
        while True:
            work = queue.get()
            if work is None:
                queue.put(None)  # the next thread stops too
                return
            settle, fn, args = work
            del work
            error: BaseException | None = None
            result: Any = None
            try:
                result = fn(*args)
            except BaseException as exc:
                error = exc
            # Idle before the answer: the call the answer leads to finds this thread free
            # instead of starting another one.
            idle.release()
            if not isinstance(error, _Cancelled):
                settle(result, error)
            del settle, fn, args, result, error  # no reference kept while idle

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the threads once the queued calls have run (``Executor.shutdown``)."""
        with self._lock:
            self._closed = True
            self._queue.put(None)
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()

    @property
    def threads(self) -> int:
        """How many threads have started."""
        return len(self._threads)


class _Cancelled(Exception):
    """A ``submit``\\ ted call cancelled before it started."""


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


async def in_thread(executor: Executor | None, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on ``executor``'s threads: through :meth:`WorkerThreads.call`
    when it is the app's, else ``run_in_executor`` (None: asyncio's default executor)."""
    if isinstance(executor, WorkerThreads):
        return await executor.call(fn, *args)
    return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
