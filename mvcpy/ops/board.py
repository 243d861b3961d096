"""Each worker's numbers, shared through files: every worker writes its snapshot into
``[ops] state_dir`` now and then, and the worker that serves the operations page reads
them all (its own fresh), so the page shows every worker of the machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["WorkerBoard"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


class WorkerBoard:
    """This worker's snapshots (``collect()``), published to ``directory`` every
    ``interval`` seconds, and everyone's read back."""

    def __init__(self, directory: Path, interval: float, collect: Callable[[], dict[str, Any]]):
        self.directory = directory
        self.interval = interval
        self.collect = collect
        self._task: asyncio.Task[None] | None = None

    @property
    def _own(self) -> Path:
        return self.directory / f"worker-{os.getpid()}.json"

    def publish(self, snapshot: dict[str, Any] | None = None) -> None:
        """Write this worker's snapshot (atomically: a reader never sees half of it)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if snapshot is None:
            snapshot = {"pid": os.getpid(), "at": time.time(), **self.collect()}
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(snapshot, file)
            os.replace(temporary, self._own)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise

    def snapshots(self) -> list[dict[str, Any]]:
        """Every live worker's latest snapshot, this one's taken now."""
        found = [{"pid": os.getpid(), "at": time.time(), **self.collect()}]
        stale = time.time() - max(30.0, 10 * self.interval)
        for path in sorted(self.directory.glob("worker-*.json")):
            try:
                snapshot = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # removed meanwhile
            pid = snapshot.get("pid")
            if pid == os.getpid() or not isinstance(pid, int):
                continue
            if snapshot.get("at", 0) < stale or not _alive(pid):
                with contextlib.suppress(OSError):
                    path.unlink()  # a worker that stopped: its numbers went with it
                continue
            found.append(snapshot)
        return found

    def start(self) -> None:
        """Publish every ``interval`` seconds until :meth:`stop`."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            # taken on the event loop, where the numbers change; written in a thread
            snapshot = {"pid": os.getpid(), "at": time.time(), **self.collect()}
            await asyncio.to_thread(self.publish, snapshot)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        """Stop publishing and take this worker's file away."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(OSError):
            self._own.unlink()
