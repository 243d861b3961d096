"""The cache API: Django's names, sync and async forms, tags, and single-flight ``get_or_set``.

Every operation is written once, as a generator that yields what it needs from the
backend (``("get", keys)``, ``("add", key, value, ttl)``, ...) and returns the result;
:meth:`Cache._run` performs those steps on this thread, :meth:`Cache._arun` on the event
loop. So ``get`` and ``aget`` cannot drift apart.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
import secrets
import threading
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, TypeVar

from mvcpy.cache.backends import Backend
from mvcpy.cache.codec import decode, encode

__all__ = ["DEFAULT", "Cache", "argument_key", "cached"]

F = TypeVar("F", bound=Callable[..., Any])


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: ``ttl=DEFAULT``: the cache's ``default_ttl``; ``None``: never expires; ``0``: not stored.
DEFAULT: Any = _Default()

_TAGGED = b"\x02"  # an entry stored with tags: its value and the tags' versions
_MISSING = object()
_POLL = 0.05  # seconds between looks while another worker computes a value

Steps = Generator[tuple[Any, ...], Any, Any]


class _Flight:
    """One in-process computation of a key that other threads wait for."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Cache:
    """Values by key, for a time: ``app.cache`` (``self.cache`` in controllers).

    Sync methods (``get``, ``set``, ...) are for sync actions, which run on worker
    threads; ``a``-prefixed ones (``aget``, ``aset``, ...) for async code. Values are JSON
    (dicts, lists, strings, numbers, pydantic models as their JSON) or ``bytes``.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        prefix: str = "",
        default_ttl: float = 300.0,
        lock_timeout: float = 10.0,
    ) -> None:
        self.backend = backend
        self.prefix = prefix
        self.default_ttl = default_ttl
        self.lock_timeout = lock_timeout
        self._flights: dict[str, _Flight] = {}
        self._flights_lock = threading.Lock()
        self._aflights: dict[str, asyncio.Future[Any]] = {}

    # -- the steps, written once --------------------------------------------------------
    # Values, tag versions and get_or_set locks live in separate namespaces under the
    # prefix, so that no key a user chooses ("tag:x", "a:lock") lands on another's entry.
    def _key(self, key: str) -> str:
        if not isinstance(key, str) or not key:
            raise TypeError(f"a cache key is a non-empty string, not {key!r}")
        return self.prefix + "v:" + key

    def _lock_key(self, full_key: str) -> str:
        return self.prefix + "l:" + full_key[len(self.prefix) + 2 :]

    def _ttl(self, ttl: Any) -> float | None:
        return self.default_ttl if ttl is DEFAULT else ttl

    def _tag_key(self, tag: str) -> str:
        return f"{self.prefix}t:{tag}"

    def _read(self, keys: list[str]) -> Steps:
        """Return ``{key: value}`` of the live keys; tagged entries whose tags moved miss."""
        raws = yield ("get", keys)
        found: dict[str, Any] = {}
        tagged: dict[str, tuple[Any, dict[str, str]]] = {}
        for key, raw in zip(keys, raws, strict=True):
            if raw is None:
                continue
            if raw[:1] == _TAGGED:
                entry = json.loads(raw[1:])
                tagged[key] = (entry["v"], entry["t"])
            else:
                found[key] = decode(raw)
        if tagged:
            tags = sorted({tag for _, versions in tagged.values() for tag in versions})
            current = yield ("get", [self._tag_key(tag) for tag in tags])
            now = {
                tag: v.decode() if v is not None else None
                for tag, v in zip(tags, current, strict=True)
            }
            for key, (value, versions) in tagged.items():
                if all(now[tag] == version for tag, version in versions.items()):
                    found[key] = value
        return found

    def _versions(self, tags: Iterable[str]) -> Steps:
        """Return the current version of each tag, giving the missing ones a first one."""
        names = sorted(set(tags))
        current = yield ("get", [self._tag_key(tag) for tag in names])
        versions: dict[str, str] = {}
        for tag, raw in zip(names, current, strict=True):
            if raw is None:
                token = secrets.token_hex(8)
                added = yield ("add", self._tag_key(tag), token.encode(), None)
                if not added:  # another worker gave it one first
                    [raw] = yield ("get", [self._tag_key(tag)])
                versions[tag] = token if added else raw.decode()
            else:
                versions[tag] = raw.decode()
        return versions

    def _write(self, items: Mapping[str, Any], ttl: Any, tags: Iterable[str]) -> Steps:
        seconds = self._ttl(ttl)
        if seconds is not None and seconds <= 0:
            yield ("delete", list(items))
            return None
        tags = tuple(tags)
        if tags:
            if any(isinstance(v, bytes | bytearray | memoryview) for v in items.values()):
                raise TypeError("tagged cache values must be JSON, not bytes")
            versions = yield from self._versions(tags)
            encoded = {
                key: _TAGGED + json.dumps({"v": json.loads(encode(v)), "t": versions}).encode()
                for key, v in items.items()
            }
        else:
            encoded = {key: encode(value) for key, value in items.items()}
        yield ("set", encoded, seconds)
        return None

    def _get_or_set(self, key: str, fn: Callable[[], Any], ttl: Any, tags: Iterable[str]) -> Steps:
        found = yield from self._read([key])
        if key in found:
            return found[key]
        locked = False
        lock = self._lock_key(key)
        if self.backend.shared:
            # One worker computes; the others look for its value until the lock expires.
            locked = yield ("add", lock, b"1", self.lock_timeout)
            deadline = time.monotonic() + self.lock_timeout
            while not locked and time.monotonic() < deadline:
                yield ("sleep", _POLL)
                found = yield from self._read([key])
                if key in found:
                    return found[key]
        try:
            value = yield ("compute", fn)
            yield from self._write({key: value}, ttl, tags)
        finally:
            if locked:
                yield ("delete", [lock])
        return value

    # -- the drivers --------------------------------------------------------------------
    def _step(self, op: tuple[Any, ...]) -> Any:
        kind = op[0]
        backend = self.backend
        if kind == "get":
            return backend.get_many(op[1])
        if kind == "set":
            return backend.set_many(op[1], op[2])
        if kind == "delete":
            return backend.delete_many(op[1])
        if kind == "add":
            return backend.add(op[1], op[2], op[3])
        if kind == "incr":
            return backend.incr(op[1], op[2])
        if kind == "sleep":
            return time.sleep(op[1])
        result = op[1]()  # compute
        if inspect.isawaitable(result):
            raise TypeError("an async function was given to a sync cache method: use the a- form")
        return result

    async def _astep(self, op: tuple[Any, ...]) -> Any:
        kind = op[0]
        backend = self.backend
        if kind == "get":
            return await backend.aget_many(op[1])
        if kind == "set":
            return await backend.aset_many(op[1], op[2])
        if kind == "delete":
            return await backend.adelete_many(op[1])
        if kind == "add":
            return await backend.aadd(op[1], op[2], op[3])
        if kind == "incr":
            return await backend.aincr(op[1], op[2])
        if kind == "sleep":
            return await asyncio.sleep(op[1])
        result = op[1]()  # compute: sync or async
        return await result if inspect.isawaitable(result) else result

    def _run(self, steps: Steps) -> Any:
        try:
            op = next(steps)
            while True:
                try:
                    result = self._step(op)
                except BaseException as exc:
                    op = steps.throw(exc)
                else:
                    op = steps.send(result)
        except StopIteration as done:
            return done.value

    async def _arun(self, steps: Steps) -> Any:
        try:
            op = next(steps)
            while True:
                try:
                    result = await self._astep(op)
                except BaseException as exc:
                    op = steps.throw(exc)
                else:
                    op = steps.send(result)
        except StopIteration as done:
            return done.value

    def _read_one(self, key: str) -> Steps:
        found = yield from self._read([key])
        return found.get(key, _MISSING)

    # -- the API: sync ------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of ``key``, or ``default`` when it is absent or expired."""
        value = self._run(self._read_one(self._key(key)))
        return default if value is _MISSING else value

    def set(self, key: str, value: Any, ttl: Any = DEFAULT, *, tags: Iterable[str] = ()) -> None:
        """Store ``value`` for ``ttl`` seconds (``None``: no expiry), grouped under ``tags``."""
        self._run(self._write({self._key(key): value}, ttl, tags))

    def delete(self, key: str) -> None:
        """Remove ``key``."""
        self._run(self._delete([key]))

    def _delete(self, keys: Iterable[str]) -> Steps:
        yield ("delete", [self._key(key) for key in keys])
        return None

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key."""
        self._run(self._delete(keys))

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Return ``{key: value}`` of the keys that are present."""
        names = list(keys)
        found = self._run(self._read([self._key(k) for k in names]))
        return {k: found[self._key(k)] for k in names if self._key(k) in found}

    def set_many(
        self, items: Mapping[str, Any], ttl: Any = DEFAULT, *, tags: Iterable[str] = ()
    ) -> None:
        """Store every item for ``ttl`` seconds."""
        self._run(self._write({self._key(k): v for k, v in items.items()}, ttl, tags))

    def add(self, key: str, value: Any, ttl: Any = DEFAULT) -> bool:
        """Store ``value`` only if ``key`` is absent; tell whether it was stored."""
        return bool(self._run(self._add(key, value, ttl)))

    def _add(self, key: str, value: Any, ttl: Any) -> Steps:
        added = yield ("add", self._key(key), encode(value), self._ttl(ttl))
        return added

    def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer at ``key`` (counting from 0); return the new value."""
        return int(self._run(self._incr(key, delta)))

    def _incr(self, key: str, delta: int) -> Steps:
        value = yield ("incr", self._key(key), delta)
        return value

    def invalidate_tags(self, *tags: str) -> None:
        """Make every value stored under any of ``tags`` a miss from now on."""
        self._run(self._invalidate(tags))

    def _invalidate(self, tags: Iterable[str]) -> Steps:
        fresh = {self._tag_key(tag): secrets.token_hex(8).encode() for tag in tags}
        yield ("set", fresh, None)
        return None

    def get_or_set(
        self, key: str, fn: Callable[[], Any], ttl: Any = DEFAULT, *, tags: Iterable[str] = ()
    ) -> Any:
        """Return the value of ``key``, computing it with ``fn()`` and storing it on a miss.

        Concurrent callers of one key in this process wait for one computation; with a
        shared backend (Redis), workers wait for each other's too, up to ``lock_timeout``.
        """
        full = self._key(key)
        with self._flights_lock:
            flight = self._flights.get(full)
            owner = flight is None
            if owner:
                flight = self._flights[full] = _Flight()
        assert flight is not None
        if not owner:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            flight.value = self._run(self._get_or_set(full, fn, ttl, tags))
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._flights_lock:
                self._flights.pop(full, None)
            flight.done.set()

    # -- the API: async -----------------------------------------------------------------
    async def aget(self, key: str, default: Any = None) -> Any:
        """:meth:`get` for async code."""
        value = await self._arun(self._read_one(self._key(key)))
        return default if value is _MISSING else value

    async def aset(
        self, key: str, value: Any, ttl: Any = DEFAULT, *, tags: Iterable[str] = ()
    ) -> None:
        """:meth:`set` for async code."""
        await self._arun(self._write({self._key(key): value}, ttl, tags))

    async def adelete(self, key: str) -> None:
        """:meth:`delete` for async code."""
        await self._arun(self._delete([key]))

    async def adelete_many(self, keys: Iterable[str]) -> None:
        """:meth:`delete_many` for async code."""
        await self._arun(self._delete(keys))

    async def aget_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """:meth:`get_many` for async code."""
        names = list(keys)
        found = await self._arun(self._read([self._key(k) for k in names]))
        return {k: found[self._key(k)] for k in names if self._key(k) in found}

    async def aset_many(
        self, items: Mapping[str, Any], ttl: Any = DEFAULT, *, tags: Iterable[str] = ()
    ) -> None:
        """:meth:`set_many` for async code."""
        await self._arun(self._write({self._key(k): v for k, v in items.items()}, ttl, tags))

    async def aadd(self, key: str, value: Any, ttl: Any = DEFAULT) -> bool:
        """:meth:`add` for async code."""
        return bool(await self._arun(self._add(key, value, ttl)))

    async def aincr(self, key: str, delta: int = 1) -> int:
        """:meth:`incr` for async code."""
        return int(await self._arun(self._incr(key, delta)))

    async def ainvalidate_tags(self, *tags: str) -> None:
        """:meth:`invalidate_tags` for async code."""
        await self._arun(self._invalidate(tags))

    async def aget_or_set(
        self, key: str, fn: Callable[[], Any], ttl: Any = DEFAULT, *, tags: Iterable[str] = ()
    ) -> Any:
        """:meth:`get_or_set` for async code; ``fn`` may be sync or async."""
        full = self._key(key)
        waiting = self._aflights.get(full)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._aflights[full] = future
        try:
            value = await self._arun(self._get_or_set(full, fn, ttl, tags))
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        else:
            future.set_result(value)
            return value
        finally:
            self._aflights.pop(full, None)

    # -- decorating functions -----------------------------------------------------------
    def cached(
        self,
        ttl: Any = DEFAULT,
        *,
        key: Callable[..., str] | None = None,
        tags: Iterable[str] = (),
    ) -> Callable[[F], F]:
        """Cache a function's results by its arguments (or ``key(*args, **kwargs)``)."""
        return cached(ttl, key=key, tags=tags, cache=self)

    # -- lifecycle ----------------------------------------------------------------------
    async def aclose(self) -> None:
        """Release the backend's connections."""
        await self.backend.aclose()


def argument_key(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The default key of a cached call: the function's name and a digest of its arguments."""
    text = json.dumps([args, kwargs], sort_keys=True, default=repr, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"fn:{fn.__module__}.{fn.__qualname__}:{digest}"


def cached(
    ttl: Any = DEFAULT,
    *,
    key: Callable[..., str] | None = None,
    tags: Iterable[str] = (),
    cache: Cache | None = None,
) -> Callable[[F], F]:
    """Cache what a function, or a controller action, returns.

    On a controller action (or any method of an object with a ``cache`` attribute) the
    app's cache is used and ``self`` is not part of the key; elsewhere pass ``cache=``.
    The key is the function's name and its arguments, or ``key(*args, **kwargs)``.
    """
    tag_list = tuple(tags)

    def decorate(fn: F) -> F:
        def resolve(args: tuple[Any, ...]) -> tuple[Cache, tuple[Any, ...]]:
            if cache is not None:
                return cache, args
            owner = getattr(args[0], "cache", None) if args else None
            if not isinstance(owner, Cache):
                raise TypeError(
                    f"@cached {fn.__qualname__}: pass cache=app.cache, or decorate a method "
                    "of an object with a cache (a controller's self.cache)"
                )
            return owner, args[1:]

        def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
            return key(*args, **kwargs) if key is not None else argument_key(fn, args, kwargs)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                store, rest = resolve(args)
                return await store.aget_or_set(
                    key_of(rest, kwargs), lambda: fn(*args, **kwargs), ttl, tags=tag_list
                )

            wrapper: Any = async_wrapper
        else:

            @functools.wraps(fn)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                store, rest = resolve(args)
                return store.get_or_set(
                    key_of(rest, kwargs), lambda: fn(*args, **kwargs), ttl, tags=tag_list
                )

            wrapper = sync_wrapper
        return wrapper  # type: ignore[no-any-return]

    return decorate
