"""A sampling profiler of the running worker: every few milliseconds, the stack of each of
its threads (the event loop's and the worker threads'), for a number of seconds.

In the process itself (``sys._current_frames``), so it needs no privilege and no other
program, and costs nothing until asked; the price is the sampler's own time, about one
stack walk per thread per sample. The result reads as text (the functions that ran,
and those on the stack) and as collapsed stacks, the input of flame graph tools
(``flamegraph.pl``, speedscope).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType

__all__ = ["Profile", "sample"]

#: how deep a stack is followed
_DEPTH = 128


def _label(frame: FrameType) -> str:
    code = frame.f_code
    return f"{code.co_qualname} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


@dataclass
class Profile:
    """What :func:`sample` saw."""

    seconds: float
    interval: float
    samples: int = 0
    #: "thread;outermost;...;innermost" -> times seen
    stacks: Counter[str] = field(default_factory=Counter)

    def collapsed(self) -> str:
        """One line per stack, ``frames;joined count``, for flame graph tools."""
        return "".join(f"{stack} {n}\n" for stack, n in self.stacks.most_common())

    def top(self, limit: int = 25) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """The functions that were running (own) and those on the stack (total), most
        seen first, with the number of thread samples."""
        own: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for stack, n in self.stacks.items():
            frames = stack.split(";")[1:]
            if frames:
                own[frames[-1]] += n
            for name in set(frames):
                total[name] += n
        return own.most_common(limit), total.most_common(limit)

    def text(self, limit: int = 25) -> str:
        """The report as plain text."""
        seen = sum(self.stacks.values()) or 1
        own, total = self.top(limit)
        lines = [
            f"worker {os.getpid()}: {self.samples} samples of every thread in "
            f"{self.seconds:g} s, one every {self.interval * 1000:g} ms",
            "",
            "running (own samples):",
            *(f"  {n / seen:6.1%}  {name}" for name, n in own),
            "",
            "on the stack (total samples):",
            *(f"  {n / seen:6.1%}  {name}" for name, n in total),
        ]
        return "\n".join(lines) + "\n"


def sample(seconds: float, interval: float = 0.005) -> Profile:
    """Sample every thread but this one for ``seconds`` (call it in a thread of its own:
    it blocks while it samples)."""
    profile = Profile(seconds, interval)
    me = threading.get_ident()
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            frames: list[str] = []
            current: FrameType | None = frame
            while current is not None and len(frames) < _DEPTH:
                frames.append(_label(current))
                current = current.f_back
            if ident not in names:
                names = {thread.ident: thread.name for thread in threading.enumerate()}
            thread = names.get(ident, str(ident))
            profile.stacks[";".join([thread, *reversed(frames)])] += 1
        profile.samples += 1
        time.sleep(interval)
    return profile
