"""Argument binding: fill an action's parameters from the request by name and type hint.

Path params, query values (scalars and lists), headers, cookies, the request itself,
uploaded files, pydantic models read from the body (JSON, urlencoded or multipart) or
from the query, and injected dependencies. The plan for each action is built once at
registration; per request, binding is a loop over a few precomputed tuples.
"""

from __future__ import annotations

import functools
import inspect
import math
import types
import typing
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.http.request import Request
from mvcpy.http.uploads import UploadedFile
from mvcpy.http.xml import XML_TYPES, parse_xml
from mvcpy.messages import validation_message
from mvcpy.params import Cookie, Header, Query
from mvcpy.translation import gettext

if TYPE_CHECKING:
    import pydantic

    from mvcpy.context import Context
    from mvcpy.di import Container

__all__ = [
    "Binder",
    "ModelReader",
    "ValidationError",
    "coercer_for",
    "model_reader",
]

Coercer = Callable[[str], Any]
_NO_DEFAULT: Any = inspect.Parameter.empty
(
    _PATH,
    _QUERY,
    _QUERY_LIST,
    _HEADER,
    _COOKIE,
    _REQUEST,
    _CONTEXT,
    _UPLOAD,
    _UPLOAD_LIST,
    _BODY,
    _QUERY_MODEL,
    _INJECT,
) = range(12)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: at most this many entries in a 422's ``errors``
MAX_ERRORS = 100
_LIST_ORIGINS = (list, set, frozenset, tuple)


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


def _split_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        return args[0], tuple(args[1:])
    return annotation, ()


def coercer_for(annotation: Any) -> tuple[Coercer | None, str]:
    """Return a function that converts a raw string to ``annotation`` and a description."""
    if annotation is _NO_DEFAULT or annotation is Any:
        return None, "a string"
    annotation, _ = _split_annotated(annotation)
    annotation, _ = _unwrap_optional(annotation)
    if annotation in _SIMPLE:
        coerce, text = _SIMPLE[annotation]
        return (None if annotation is str else coerce), text
    from pydantic import TypeAdapter  # imported lazily: only unusual annotations need it

    adapter = TypeAdapter(annotation)
    return adapter.validate_python, f"a valid {getattr(annotation, '__name__', annotation)}"


def _is_model(annotation: Any) -> bool:
    if not isinstance(annotation, type):
        return False
    from pydantic import BaseModel

    return issubclass(annotation, BaseModel)


def _list_item(annotation: Any) -> Any | None:
    """Return the item type of ``list[X]``-like annotations, else ``None``."""
    if typing.get_origin(annotation) in _LIST_ORIGINS:
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is tuple and not (len(args) == 2 and args[1] is ...):
            return None
        return args[0] if args else str
    return None


# -- validation errors -----------------------------------------------------------------
class ValidationError(HTTPError):
    """Input that failed validation: a 422 with one entry per field.

    ``errors`` holds dicts with ``location`` (``body``, ``query``...), ``field``
    (dotted path), ``label`` (the field's title), ``message`` and ``type`` (the
    pydantic error type). ``data`` is what the client sent, to re-fill a form.
    """

    def __init__(
        self,
        errors: list[dict[str, Any]],
        data: Mapping[str, Any] | None = None,
        model: type[Any] | None = None,
        total: int | None = None,
    ) -> None:
        count = max(total or 0, len(errors))
        summary = "; ".join(f"{e['field'] or e['location']}: {e['message']}" for e in errors[:5])
        if count > 5:
            summary += f"; and {count - 5} more"
        super().__init__(422, gettext("Validation failed: %(summary)s", summary=summary))
        self.errors = errors
        self.data: dict[str, Any] = dict(data or {})
        self.model = model

    @classmethod
    def from_messages(
        cls,
        messages: Mapping[str, str],
        data: Mapping[str, Any] | None = None,
        model: type[pydantic.BaseModel] | None = None,
        location: str = "body",
    ) -> ValidationError:
        """Return a 422 for checks made after binding, shaped as binding's own errors.

        ``messages`` maps a field to what is wrong with it ("There is no such post.",
        "This email is taken."); ``model`` gives the fields' labels; ``data`` is what a
        re-rendered form shows.
        """
        labels = _labels(model) if model is not None else {}
        errors = [
            {
                "location": location,
                "field": field,
                "label": labels.get(field) or field.replace("_", " ").capitalize(),
                "message": message,
                "type": "value_error",
            }
            for field, message in messages.items()
        ]
        return cls(errors, data, model)

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Map each top-level field name to its messages (for forms)."""
        result: dict[str, list[str]] = {}
        for error in self.errors:
            key = error["field"].split(".", 1)[0]
            result.setdefault(key, []).append(error["message"])
        return result

    def message_for(self, field: str) -> str | None:
        """Return the first message about ``field``, or ``None``."""
        messages = self.field_errors.get(field)
        return messages[0] if messages else None


def _labels(model: type[pydantic.BaseModel]) -> dict[str, str]:
    return {
        name: info.title or name.replace("_", " ").capitalize()
        for name, info in model.model_fields.items()
    }


def _convert_errors(
    exc: pydantic.ValidationError, location: str, labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    entries = []
    errors = exc.errors(include_url=False, include_input=False)
    for error in errors[:MAX_ERRORS]:  # a hostile body may fail thousands of items
        field = ".".join(str(part) for part in error["loc"])
        top = str(error["loc"][0]) if error["loc"] else ""
        message = validation_message(error["type"], error.get("ctx"), error["msg"])
        if error["type"] == "value_error" and message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        entries.append(
            {
                "location": location,
                "field": field,
                "label": labels.get(top, top),
                "message": message,
                "type": error["type"],
            }
        )
    return entries


class ModelReader:
    """How to validate one pydantic model from JSON, a form or the query (built once)."""

    __slots__ = ("labels", "list_fields", "model", "text_fields")

    def __init__(self, model: type[pydantic.BaseModel]) -> None:
        self.model = model
        self.labels = _labels(model)
        self.list_fields: set[str] = set()
        self.text_fields: set[str] = set()
        for name, info in model.model_fields.items():
            annotation, _ = _unwrap_optional(info.annotation)
            key = info.alias or name
            if _list_item(annotation) is not None:
                self.list_fields.add(key)
            if annotation is str or annotation is Any:
                self.text_fields.add(key)

    def from_json(self, body: bytes) -> Any:
        """Validate a JSON body: 400 when it is not JSON, 422 when it does not fit."""
        import pydantic

        try:
            return self.model.model_validate_json(body)
        except pydantic.ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                if error["type"] == "json_invalid":
                    raise HTTPError(400, f"Malformed JSON: {error['msg'][14:]}") from None
            data = _json_data(body)
            raise ValidationError(
                _convert_errors(exc, "body", self.labels), data, self.model, exc.error_count()
            ) from None

    def from_multidict(self, items: Any, location: str) -> Any:
        """Validate form or query values; repeated keys fill list fields."""
        import pydantic

        data: dict[str, Any] = {}
        for key in items:
            if key in self.list_fields:
                data[key] = items.getlist(key)
                continue
            value = items[key]
            # An empty HTML input for a number or date means "not given", not "".
            if value == "" and key not in self.text_fields:
                continue
            data[key] = value
        try:
            return self.model.model_validate(data)
        except pydantic.ValidationError as exc:
            shown = {k: v for k, v in data.items() if not isinstance(v, UploadedFile)}
            raise ValidationError(
                _convert_errors(exc, location, self.labels), shown, self.model, exc.error_count()
            ) from None

    def from_data(self, data: Any, location: str) -> Any:
        """Validate already-parsed data (a dict from XML, say)."""
        import pydantic

        try:
            return self.model.model_validate(data)
        except pydantic.ValidationError as exc:
            shown = data if isinstance(data, dict) else {}
            raise ValidationError(
                _convert_errors(exc, location, self.labels), shown, self.model, exc.error_count()
            ) from None

    def from_request(self, request: Request) -> Any:
        """Validate the body by its content type (sync: on a worker thread, or preloaded)."""
        kind = request.content_type
        if kind == "application/json" or kind.endswith("+json"):
            return self.from_json(_body(request))
        if kind in _FORM_TYPES:
            return self.from_multidict(_form(request), "body")
        if kind in XML_TYPES or kind.endswith("+xml"):
            return self.from_data(parse_xml(_body(request)), "body")
        if kind == "":
            body = _body(request)
            if not body:
                return self.from_multidict({}, "body")
        raise HTTPError(
            415,
            f"Unsupported media type {kind!r}; send application/json, "
            "application/x-www-form-urlencoded, multipart/form-data or application/xml",
        )


def _json_data(body: bytes) -> dict[str, Any]:
    from mvcpy.http import _json

    try:
        data = _json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _body(request: Request) -> bytes:
    body = request._body
    return body if body is not None else request.read_body()


def _form(request: Request) -> Any:
    form = request.form_loaded
    return form if form is not None else request.read_form()


_readers: dict[type[Any], ModelReader] = {}


def model_reader(model: type[pydantic.BaseModel]) -> ModelReader:
    """Return the (cached) reader of ``model``."""
    reader = _readers.get(model)
    if reader is None:
        reader = _readers[model] = ModelReader(model)
    return reader


async def load_body(request: Request) -> None:
    """Read the body on the loop so that sync binding finds it parsed."""
    kind = request.content_type
    if kind in _FORM_TYPES:
        await request.form()
    elif (
        kind == ""
        or kind == "application/json"
        or kind in XML_TYPES
        or kind.endswith(("+json", "+xml"))
    ):
        await request.body()


# -- the plan --------------------------------------------------------------------------
def _missing(location: str, field: str, message: str) -> ValidationError:
    return ValidationError(
        [
            {
                "location": location,
                "field": field,
                "label": field.replace("_", " ").capitalize(),
                "message": message,
                "type": "missing",
            }
        ]
    )


def _hinted(fn: Any) -> Any:
    """Return what carries the annotations of ``fn`` (a partial's function, an object's call)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.isroutine(fn) or isinstance(fn, type):
        return fn
    return getattr(type(fn), "__call__", fn)  # noqa: B004


class Binder:
    """The binding plan of one action: which parameter comes from where, and how to convert it."""

    __slots__ = (
        "async_providers",
        "doc",
        "empty",
        "injections",
        "label",
        "needs_load",
        "plan",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        path_params: Collection[str],
        label: str,
        skip_first: bool = False,
    ) -> None:
        self.label = label
        signature = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(_hinted(fn), include_extras=True)
        except Exception as exc:
            raise ConfigurationError(f"{label}: cannot read type hints: {exc}") from None
        plan: list[tuple[str, int, Any, str, Any]] = []
        #: parameters resolved from the app's container at startup: (index, type, key)
        self.injections: list[tuple[int, Any, str | None]] = []
        parameters = list(signature.parameters.values())
        if parameters and (skip_first or parameters[0].name == "self"):
            parameters = parameters[1:]
        bodies = []
        doc: list[tuple[str, str, Any, bool, str]] = []
        for param in parameters:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if param.kind is param.POSITIONAL_ONLY:
                raise ConfigurationError(
                    f"{label}: parameter {param.name!r} cannot be positional-only"
                )
            annotation = hints.get(param.name, _NO_DEFAULT)
            entry = self._entry(param, annotation, path_params, label)
            doc.append(_describe(entry, annotation))
            if entry[1] == _BODY:
                bodies.append(param.name)
            if entry[1] == _INJECT:
                self.injections.append((len(plan), entry[2], entry[3] or None))
            plan.append(entry)
        if len(bodies) > 1:
            raise ConfigurationError(
                f"{label}: only one parameter can come from the body, got {', '.join(bodies)}"
            )
        self.plan = tuple(plan)
        #: (name, where, annotation, required, key) per parameter, for OpenAPI
        self.doc = tuple(doc)
        self.empty = not plan
        self.needs_load = any(e[1] in (_BODY, _UPLOAD, _UPLOAD_LIST) for e in plan)
        self.async_providers: tuple[Any, ...] = ()

    def _entry(
        self, param: inspect.Parameter, annotation: Any, path_params: Collection[str], label: str
    ) -> tuple[str, int, Any, str, Any]:
        name = param.name
        default = param.default
        base, extras = _split_annotated(annotation)
        inner, optional = _unwrap_optional(base)
        if default is _NO_DEFAULT and optional:
            default = None
        marker = next((x for x in extras if isinstance(x, Header | Cookie | Query)), None)
        inject = next((x for x in extras if _is_inject(x)), None)
        if inject is not None:
            return (name, _INJECT, inner, inject.key or "", default)
        if name in path_params:
            coerce, text = coercer_for(annotation)
            return (name, _PATH, coerce, text, default)
        if isinstance(marker, Header | Cookie):
            converter = coercer_for(inner)
            if isinstance(marker, Header):
                key = (marker.alias or name.replace("_", "-")).lower()
                return (name, _HEADER, converter, key, default)
            return (name, _COOKIE, converter, marker.alias or name, default)
        if isinstance(inner, type):
            if issubclass(inner, Request):
                return (name, _REQUEST, None, "", default)
            from mvcpy.context import Context

            if issubclass(inner, Context):
                return (name, _CONTEXT, None, "", default)
            if issubclass(inner, UploadedFile):
                return (name, _UPLOAD, None, "", default)
            if _is_model(inner):
                source = _QUERY_MODEL if isinstance(marker, Query) else _BODY
                return (name, source, model_reader(typing.cast(Any, inner)), "", default)
        item = _list_item(inner)
        if item is not None:
            if item is UploadedFile:
                return (name, _UPLOAD_LIST, None, "", default)
            coerce, text = coercer_for(item)
            key = marker.alias if isinstance(marker, Query) and marker.alias else name
            return (name, _QUERY_LIST, coerce, text, (default, key, False))
        try:
            coerce, text = coercer_for(annotation)
        except Exception:
            if isinstance(inner, type) and marker is None:
                # Not something a string converts to: a dependency, resolved at startup.
                return (name, _INJECT, inner, "", default)
            raise ConfigurationError(
                f"{label}: parameter {name!r} has an annotation mvcpy cannot bind: {annotation!r}"
            ) from None
        if isinstance(marker, Query) and marker.alias:
            # An aliased scalar (``Annotated[int, Query("per-page")]``) takes the last value.
            return (name, _QUERY_LIST, coerce, text, (default, marker.alias, True))
        return (name, _QUERY, coerce, text, default)

    def resolve(self, container: Container) -> None:
        """Turn injected parameters into providers; fail naming the route and the parameter."""
        if not self.injections:
            return
        plan = list(self.plan)
        for index, annotation, key in self.injections:
            name, _, _, _, default = plan[index]
            provider = container.lookup(annotation, key)
            if provider is None:
                if default is not _NO_DEFAULT:
                    plan[index] = (name, _INJECT, None, "", default)
                    continue
                wanted = f"key {key!r}" if key else getattr(annotation, "__name__", annotation)
                raise ConfigurationError(
                    f"{self.label}: parameter {name!r} needs {wanted}, which nothing provides "
                    "(app.provide(...) or app.provide_factory(...))"
                )
            plan[index] = (name, _INJECT, provider, "", default)
        self.plan = tuple(plan)
        self.async_providers = tuple(
            e[2] for e in plan if e[1] == _INJECT and e[2] is not None and e[2].is_async
        )
        self.needs_load = self.needs_load or bool(self.async_providers)

    async def load(self, ctx: Context) -> None:
        """Read the body and run async factories on the loop, so that binding finds them."""
        await load_body(ctx.request)
        for provider in self.async_providers:
            await provider.aget(ctx)

    def bind(self, ctx: Context) -> dict[str, Any]:
        """Return the keyword arguments for the action; 4xx when a value does not fit."""
        values: dict[str, Any] = {}
        params = ctx.params
        query = None
        # PERF: compare against literals; the common path/query cases go first.
        for name, source, coerce, text, default in self.plan:
            if source == 0:  # _PATH
                raw = params.get(name, _NO_DEFAULT)
                if raw is _NO_DEFAULT:  # an optional trailing parameter left out
                    values[name] = None if default is _NO_DEFAULT else default
                    continue
                if coerce is not None and isinstance(raw, str):
                    try:
                        raw = coerce(raw)
                    except Exception:  # ValueError, TypeError, pydantic.ValidationError
                        raise HTTPError(404, f"Path parameter {name!r} must be {text}") from None
                values[name] = raw
                continue
            if source == 1:  # _QUERY
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
                continue
            values[name] = self._special(ctx, name, source, coerce, text, default)
        return values

    def _special(
        self, ctx: Context, name: str, source: int, coerce: Any, text: str, default: Any
    ) -> Any:
        request = ctx.request
        if source == _BODY:
            return coerce.from_request(request)
        if source == _INJECT:
            if coerce is None:
                return default
            return coerce.get(ctx)
        if source == _HEADER:
            return _scalar(request.headers.get(text), coerce, default, f"header {text!r}")
        if source == _COOKIE:
            return _scalar(request.cookies.get(text), coerce, default, f"cookie {text!r}")
        if source == _REQUEST:
            return request
        if source == _CONTEXT:
            return ctx
        if source == _QUERY_MODEL:
            return coerce.from_multidict(request.query, "query")
        if source == _QUERY_LIST:
            fallback, key, scalar = default
            raws = request.query.getlist(key)
            if not raws:
                if fallback is _NO_DEFAULT:
                    raise HTTPError(400, f"Missing query parameter {key!r}")
                return fallback
            if scalar:
                raws = raws[-1:]
            converted = []
            for raw in raws:
                try:
                    converted.append(raw if coerce is None else coerce(raw))
                except Exception:
                    raise HTTPError(
                        400, f"Query parameter {key!r} must be {text}, got {raw!r}"
                    ) from None
            return converted[0] if scalar else converted
        form: Any = _form(request) if request.content_type in _FORM_TYPES else None
        if source == _UPLOAD:
            value = form.get(name) if form else None
            if isinstance(value, UploadedFile):
                return value
            if default is _NO_DEFAULT:
                raise _missing("body", name, "A file is required")
            return default
        files = [v for v in form.getlist(name) if isinstance(v, UploadedFile)] if form else []
        if not files and default is _NO_DEFAULT:
            raise _missing("body", name, "At least one file is required")
        return files if files else default


_WHERE = {
    _PATH: "path",
    _QUERY: "query",
    _QUERY_LIST: "query",
    _HEADER: "header",
    _COOKIE: "cookie",
    _UPLOAD: "file",
    _UPLOAD_LIST: "files",
    _BODY: "body",
    _QUERY_MODEL: "query-model",
}


def _describe(
    entry: tuple[str, int, Any, str, Any], annotation: Any
) -> tuple[str, str, Any, bool, str]:
    name, source, _coerce, text, default = entry
    base = _split_annotated(annotation)[0]
    where = _WHERE.get(source, "internal")
    key = name
    if source in (_HEADER, _COOKIE):
        key = text
    elif source == _QUERY_LIST:
        default, key, scalar = default
        if scalar:
            base = _unwrap_optional(base)[0]
    required = default is _NO_DEFAULT and not _unwrap_optional(base)[1]
    return (name, where, base, required, key)


def _scalar(raw: str | None, converter: tuple[Coercer | None, str], default: Any, what: str) -> Any:
    if raw is None:
        if default is _NO_DEFAULT:
            raise HTTPError(400, f"Missing {what}")
        return default
    coerce, text = converter
    if coerce is None:
        return raw
    try:
        return coerce(raw)
    except Exception:
        raise HTTPError(400, f"The {what} must be {text}") from None


def _is_inject(marker: Any) -> bool:
    from mvcpy.di import Inject

    return isinstance(marker, Inject)
