"""Argument binding: fill an action's parameters from path params and the query string.

The plan for each action is built once at registration; per request, binding is a
loop over a few precomputed tuples.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
import uuid
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from mvcpy.errors import ConfigurationError, HTTPError

if TYPE_CHECKING:
    from mvcpy.context import Context

__all__ = ["Binder", "coercer_for"]

Coercer = Callable[[str], Any]
_NO_DEFAULT: Any = inspect.Parameter.empty
_PATH, _QUERY = 0, 1


def _to_int(raw: str) -> int:
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("expected an integer")
    return int(raw)


def _to_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or "_" in raw:
        raise ValueError("expected a finite number")
    return value


_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n", ""}


def _to_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected a boolean (true/false, 1/0, yes/no, on/off)")


_SIMPLE: dict[Any, tuple[Coercer, str]] = {
    str: (str, "a string"),
    int: (_to_int, "an integer"),
    float: (_to_float, "a number"),
    bool: (_to_bool, "a boolean"),
    uuid.UUID: (uuid.UUID, "a UUID"),
}


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def coercer_for(annotation: Any) -> tuple[Coercer | None, str]:
    """Return a function that converts a raw string to ``annotation`` and a description."""
    if annotation is _NO_DEFAULT or annotation is Any:
        return None, "a string"
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    annotation, _ = _unwrap_optional(annotation)
    if annotation in _SIMPLE:
        coerce, text = _SIMPLE[annotation]
        return (None if annotation is str else coerce), text
    from pydantic import TypeAdapter  # imported lazily: only unusual annotations need it

    adapter = TypeAdapter(annotation)
    return adapter.validate_python, f"a valid {getattr(annotation, '__name__', annotation)}"


class Binder:
    """The binding plan of one action: which parameter comes from where, and how to convert it."""

    __slots__ = ("empty", "plan")

    def __init__(
        self,
        fn: Callable[..., Any],
        path_params: Collection[str],
        label: str,
        skip_first: bool = False,
    ) -> None:
        signature = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(fn, include_extras=True)
        except Exception as exc:
            raise ConfigurationError(f"{label}: cannot read type hints: {exc}") from None
        plan: list[tuple[str, int, Coercer | None, str, Any]] = []
        parameters = list(signature.parameters.values())
        if parameters and (skip_first or parameters[0].name == "self"):
            parameters = parameters[1:]
        for param in parameters:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if param.kind is param.POSITIONAL_ONLY:
                raise ConfigurationError(
                    f"{label}: parameter {param.name!r} cannot be positional-only"
                )
            annotation = hints.get(param.name, _NO_DEFAULT)
            coerce, text = coercer_for(annotation)
            source = _PATH if param.name in path_params else _QUERY
            default = param.default
            if default is _NO_DEFAULT and _unwrap_optional(annotation)[1]:
                default = None
            plan.append((param.name, source, coerce, text, default))
        self.plan = tuple(plan)
        self.empty = not plan

    def bind(self, ctx: Context) -> dict[str, Any]:
        """Return the keyword arguments for the action; 404/400 when a value does not fit."""
        values: dict[str, Any] = {}
        params = ctx.params
        query = None
        for name, source, coerce, text, default in self.plan:
            if source == _PATH:
                raw = params[name]
                if coerce is not None and isinstance(raw, str):
                    try:
                        raw = coerce(raw)
                    except (ValueError, TypeError):
                        raise HTTPError(404, f"Path parameter {name!r} must be {text}") from None
                    except Exception:  # pydantic.ValidationError
                        raise HTTPError(404, f"Path parameter {name!r} must be {text}") from None
                values[name] = raw
                continue
            if query is None:
                query = ctx.request.query
            if name not in query:
                if default is _NO_DEFAULT:
                    raise HTTPError(400, f"Missing query parameter {name!r}")
                values[name] = default
                continue
            raw = query[name]
            if coerce is not None:
                try:
                    raw = coerce(raw)
                except Exception:
                    raise HTTPError(
                        400, f"Query parameter {name!r} must be {text}, got {raw!r}"
                    ) from None
            values[name] = raw
        return values
