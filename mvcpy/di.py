"""Dependency injection: values and per-request factories, resolved by type or key.

``app.provide(value)`` makes ``value`` available to every action parameter (and
annotated controller attribute) of its type; ``app.provide(value, key="name")`` to
``Annotated[T, Inject("name")]``; ``app.provide_factory(T, factory)`` calls ``factory``
once per request that needs a ``T``. A factory may be sync or async, and a generator
(sync or async) that yields the value: the code after ``yield`` runs when the request
ends, even when the action failed. Everything is resolved at startup: a parameter
that nothing provides fails there, naming the route and the parameter.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mvcpy.context import Context
    from mvcpy.http.request import Request

__all__ = ["Container", "Inject", "Provider"]

_CACHE = "_mvcpy_dependencies"
_PLAIN, _ASYNC, _GENERATOR, _ASYNC_GENERATOR = range(4)


class Inject:
    """Mark a parameter as injected: ``Annotated[Cache, Inject()]`` or ``Inject("key")``."""

    __slots__ = ("key",)

    def __init__(self, key: str | None = None) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Inject({self.key!r})"


class Provider:
    """One provided dependency: a fixed value or a per-request factory."""

    __slots__ = ("factory", "kind", "value")

    def __init__(self, value: Any = None, factory: Callable[..., Any] | None = None) -> None:
        self.value = value
        self.factory = factory
        if factory is None:
            self.kind = -1
        elif inspect.isasyncgenfunction(factory):
            self.kind = _ASYNC_GENERATOR
        elif inspect.isgeneratorfunction(factory):
            self.kind = _GENERATOR
        elif inspect.iscoroutinefunction(factory):
            self.kind = _ASYNC
        else:
            self.kind = _PLAIN

    @property
    def is_async(self) -> bool:
        """Whether the factory must run on the event loop."""
        return self.kind in (_ASYNC, _ASYNC_GENERATOR)

    def get(self, ctx: Context) -> Any:
        """Return the value for this request (a factory runs once per request)."""
        if self.factory is None:
            return self.value
        cache = ctx.__dict__.get(_CACHE)
        if cache is not None and self in cache:
            return cache[self]
        if self.is_async:
            loop = ctx.request.loop
            if loop is None:
                raise RuntimeError("an async dependency was not prepared on the event loop")
            return asyncio.run_coroutine_threadsafe(self.aget(ctx), loop).result()
        factory = self.factory
        if self.kind == _GENERATOR:
            generator = factory()
            value = next(generator)
            _on_close(ctx.request, generator)
        else:
            value = factory()
        _cache(ctx)[self] = value
        return value

    async def aget(self, ctx: Context) -> Any:
        """Return the value for this request, awaiting an async factory."""
        if not self.is_async:
            return self.get(ctx)
        cache = _cache(ctx)
        if self in cache:
            return cache[self]
        assert self.factory is not None
        if self.kind == _ASYNC_GENERATOR:
            generator = self.factory()
            value = await generator.__anext__()
            _on_close(ctx.request, generator)
        else:
            value = await self.factory()
        cache[self] = value
        return value


def _cache(ctx: Context) -> dict[Provider, Any]:
    cache: dict[Provider, Any] | None = ctx.__dict__.get(_CACHE)
    if cache is None:
        cache = ctx.__dict__[_CACHE] = {}
    return cache


def _on_close(request: Request, generator: Any) -> None:
    request.add_cleanup(generator)


class Container:
    """The app's providers, by type and by key."""

    __slots__ = ("by_key", "by_type")

    def __init__(self) -> None:
        self.by_type: dict[Any, Provider] = {}
        self.by_key: dict[str, Provider] = {}

    def provide(self, value: Any, key: str | None = None, as_type: Any = None) -> None:
        """Provide ``value`` under ``key``, or by its type (or ``as_type``)."""
        provider = Provider(value)
        if key is not None:
            self.by_key[key] = provider
        else:
            self.by_type[as_type or type(value)] = provider

    def provide_factory(
        self, type_: Any, factory: Callable[..., Any], key: str | None = None
    ) -> None:
        """Provide a fresh ``type_`` per request from ``factory``."""
        if not callable(factory):
            from mvcpy.errors import ConfigurationError

            raise ConfigurationError(f"provide_factory({type_!r}): {factory!r} is not callable")
        provider = Provider(factory=factory)
        if key is not None:
            self.by_key[key] = provider
        else:
            self.by_type[type_] = provider

    def lookup(self, annotation: Any, key: str | None) -> Provider | None:
        """Return the provider for a key, or for a type (exact, then a subclass)."""
        if key is not None:
            return self.by_key.get(key)
        provider = self.by_type.get(annotation)
        if provider is not None or not isinstance(annotation, type):
            return provider
        for provided, candidate in self.by_type.items():
            if isinstance(provided, type) and issubclass(provided, annotation):
                return candidate
        return None


def attribute_injections(
    cls: type, base: type, container: Container, label: str
) -> tuple[tuple[str, Provider], ...]:
    """Return the providers of ``cls``'s annotated class attributes (declared below ``base``).

    An attribute marked ``Annotated[T, Inject()]`` that nothing provides is an error
    (unless the class gives a value); a plain annotation nothing provides is left alone.
    """
    import typing

    from mvcpy.errors import ConfigurationError

    wanted: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is base or not issubclass(klass, base):
            continue
        wanted.update(inspect.get_annotations(klass))
    if not wanted:
        return ()
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise ConfigurationError(
            f"{label}: cannot read {cls.__name__}'s annotations: {exc}"
        ) from None
    result = []
    for name in wanted:
        hint = hints.get(name)
        if hint is None or typing.get_origin(hint) is typing.ClassVar:
            continue
        key = None
        marker = None
        if typing.get_origin(hint) is typing.Annotated:
            args = typing.get_args(hint)
            hint = args[0]
            marker = next((a for a in args[1:] if isinstance(a, Inject)), None)
            key = marker.key if marker is not None else None
        provider = container.lookup(hint, key)
        if provider is not None:
            existing = inspect.getattr_static(cls, name, None)
            if isinstance(existing, property | types.MemberDescriptorType):
                raise ConfigurationError(
                    f"{label}: cannot inject {cls.__name__}.{name}: the controller already "
                    "has it (like self.request or self.session); choose another name"
                )
            result.append((name, provider))
        elif marker is not None and not hasattr(cls, name):
            # Only a marked attribute must be provided: a plain annotation may be an
            # attribute the controller sets itself (``user: User | None`` in prepare).
            wanted_text = f"key {key!r}" if key else getattr(hint, "__name__", repr(hint))
            raise ConfigurationError(
                f"{label}: {cls.__name__}.{name} needs {wanted_text}, which nothing provides "
                "(app.provide(...) or app.provide_factory(...))"
            )
    return tuple(result)


def inject_sync(target: Any, injections: tuple[tuple[str, Provider], ...], ctx: Context) -> None:
    """Set the injected attributes on ``target`` (from a worker thread)."""
    for name, provider in injections:
        setattr(target, name, provider.get(ctx))


async def inject_async(
    target: Any, injections: tuple[tuple[str, Provider], ...], ctx: Context
) -> None:
    """Set the injected attributes on ``target`` (on the event loop)."""
    for name, provider in injections:
        setattr(target, name, await provider.aget(ctx))
