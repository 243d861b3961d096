"""Iterate a streaming body on the event loop without blocking it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["iterate"]


async def iterate(content: Any) -> AsyncIterator[bytes | str]:
    """Yield the chunks of a sync or async iterable; sync ones advance on a worker thread."""
    if hasattr(content, "__aiter__"):
        async for chunk in content:
            yield chunk
        return
    iterator: Iterator[bytes | str] = iter(content)
    loop = asyncio.get_running_loop()
    try:
        while True:
            chunk = await loop.run_in_executor(None, next, iterator, None)
            if chunk is None:
                return
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
