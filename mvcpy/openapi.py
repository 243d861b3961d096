"""OpenAPI 3.1: a document built from the routes, their typed parameters and pydantic models.

The same binding plan that fills an action's arguments describes them here: path,
query, header and cookie parameters, request bodies from pydantic models (JSON and
forms), uploads, responses from return annotations, and the 422 error shape.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mvcpy.binding import Binder
from mvcpy.components import Component, Setup
from mvcpy.config.section import Section

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.routing.router import Route

__all__ = [
    "OpenAPIComponent",
    "OpenAPIHandler",
    "OpenAPISettings",
    "build_openapi",
    "openapi_json",
    "undocumented",
]

_REF = "#/components/schemas/{model}"
_SKIP_METHODS = frozenset({"HEAD", "OPTIONS"})
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(?:[^{}]|\{[^{}]*\})*)?\}|[:*]([A-Za-z_]\w*)")

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "request_id": {"type": "string"},
            },
            "required": ["status", "message"],
        }
    },
    "required": ["error"],
}
_VALIDATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "const": 422},
                "message": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "location": {"type": "string"},
                            "field": {"type": "string"},
                            "label": {"type": "string"},
                            "message": {"type": "string"},
                            "type": {"type": "string"},
                        },
                        "required": ["location", "field", "message", "type"],
                    },
                },
            },
            "required": ["status", "message", "errors"],
        }
    },
    "required": ["error"],
}


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _path(route: Route) -> str:
    return _PARAM.sub(lambda m: "{" + (m.group(1) or m.group(2)) + "}", route.pattern)


class _Schemas:
    """Collect JSON schemas of annotations; models land in ``components.schemas``."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def of(self, annotation: Any, mode: str = "validation") -> dict[str, Any]:
        from pydantic import TypeAdapter

        if annotation is None or annotation is inspect.Parameter.empty:
            return {}
        try:
            adapter = TypeAdapter(annotation)
            schema = adapter.json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
        except Exception:
            return {}
        for name, definition in schema.pop("$defs", {}).items():
            self.components.setdefault(name, definition)
        if _is_model(annotation):  # a top-level model is a component too, by reference
            name = annotation.__name__
            self.components.setdefault(name, schema)
            return {"$ref": _REF.format(model=name)}
        return schema


def _operation(
    route: Route, method: str, binder: Binder, returns: Any, schemas: _Schemas
) -> dict[str, Any]:
    fn = getattr(route.endpoint, "action", None) or getattr(route.endpoint, "fn", None)
    doc = inspect.getdoc(fn) if inspect.isroutine(fn) else None
    operation: dict[str, Any] = {
        "operationId": f"{route.name}.{method.lower()}",
        "summary": doc.split("\n", 1)[0] if doc else route.name,
    }
    controller = getattr(route.endpoint, "cls", None)
    if controller is not None:
        operation["tags"] = [controller.name]
    parameters = []
    body: dict[str, Any] | None = None
    files: dict[str, Any] = {}
    validates = False
    for _name, where, annotation, required, key in binder.doc:
        if where in ("path", "query", "header", "cookie"):
            schema = schemas.of(annotation) or {"type": "string"}
            parameters.append(
                {
                    "name": key,
                    "in": where,
                    "required": True if where == "path" else required,
                    "schema": schema,
                }
            )
        elif where == "query-model":
            validates = True
            model_schema = schemas.of(annotation)
            resolved = schemas.components.get(getattr(annotation, "__name__", ""), model_schema)
            for field, field_schema in resolved.get("properties", {}).items():
                parameters.append(
                    {
                        "name": field,
                        "in": "query",
                        "required": field in resolved.get("required", []),
                        "schema": field_schema,
                    }
                )
        elif where == "body":
            validates = True
            schema = schemas.of(annotation)
            body = {
                "required": True,
                "content": {
                    "application/json": {"schema": schema},
                    "application/x-www-form-urlencoded": {"schema": schema},
                },
            }
        elif where in ("file", "files"):
            validates = True
            item = {"type": "string", "format": "binary"}
            files[key] = item if where == "file" else {"type": "array", "items": item}
    if files:
        body = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": files, "required": list(files)}
                }
            },
        }
    if parameters:
        operation["parameters"] = parameters
    if body is not None and method not in ("GET", "DELETE"):
        operation["requestBody"] = body
    ok = schemas.of(returns, "serialization") if returns is not None else {}
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": ok}} if ok else {"*/*": {"schema": {}}},
        }
    }
    if parameters or body is not None:
        responses["400"] = _error("Bad request (malformed body or parameter)")
    if body is not None:
        responses["415"] = _error("Unsupported media type")
    if validates:
        responses["422"] = {
            "description": "Validation failed, one entry per field",
            "content": {"application/json": {"schema": _VALIDATION_SCHEMA}},
        }
    operation["responses"] = responses
    return operation


def _error(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


def _returns(fn: Any) -> Any:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        return None
    annotation = hints.get("return")
    if annotation is None or annotation is type(None) or annotation is Any:
        return None
    from mvcpy.http.response import Response

    if isinstance(annotation, type) and issubclass(annotation, Response):
        return None
    return annotation


_UNDOCUMENTED = "__mvcpy_undocumented__"

F = TypeVar("F", bound=Callable[..., Any])


def undocumented(handler: F) -> F:
    """Leave the routes of ``handler`` out of the OpenAPI document (the framework's own
    pages: the documentation, the language switcher)."""
    setattr(handler, _UNDOCUMENTED, True)
    return handler


def build_openapi(
    app: Application, title: str | None = None, version: str = "0.1.0", include: Any = None
) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of ``app``'s routes (``include(route)`` filters)."""
    schemas = _Schemas()
    paths: dict[str, Any] = {}
    credentials = app.services.get("auth")
    optional_token = getattr(credentials, "token_loader", None) is not None
    used: set[str] = set()
    for route in app.route_table.routes:
        if include is not None and not include(route):
            continue
        endpoint = route.endpoint
        binder = getattr(endpoint, "binder", None)
        if not isinstance(binder, Binder):
            continue
        fn = getattr(endpoint, "action", None) or getattr(endpoint, "fn", None)
        if getattr(fn, _UNDOCUMENTED, False):
            continue
        returns = _returns(fn)
        item = paths.setdefault(_path(route), {})
        methods = sorted(route.methods - _SKIP_METHODS) if route.methods else ["GET"]
        security = _security(route, optional_token)
        for method in methods:
            if method == "*":
                continue
            operation = _operation(route, method, binder, returns, schemas)
            if security:
                operation["security"] = security
                used.update(name for need in security for name in need)
                if security[0]:  # required: say what a refusal looks like
                    operation["responses"]["401"] = _error("Authentication required")
            item[method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title or app.config.core.app_name,
            "version": version,
        },
        "paths": paths,
    }
    components: dict[str, Any] = {}
    if schemas.components:
        components["schemas"] = schemas.components
    if used:
        components["securitySchemes"] = {name: _SCHEMES[name] for name in sorted(used)}
    if components:
        document["components"] = components
    return document


#: The security schemes that authentication filters declare (``openapi_security``).
_SCHEMES: dict[str, dict[str, Any]] = {
    "token": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <token> (or another of [auth] token_schemes, "
        "such as Token <token>); browsers use the session cookie instead",
    },
    "basic": {"type": "http", "scheme": "basic"},
}


def _security(route: Route, optional_token: bool) -> list[dict[str, list[str]]]:
    """The operation's ``security``: what its filters require, else an optional token when
    the app has a token loader (``{}`` first: anonymous is fine)."""
    for filter_ in route.filters:
        name = getattr(filter_, "openapi_security", None)
        if name in _SCHEMES:
            return [{name: []}]
    return [{}, {"token": []}] if optional_token else []


def openapi_json(app: Application, **options: Any) -> str:
    """Return the document as indented JSON (``mvcpy openapi``)."""
    import json

    return json.dumps(build_openapi(app, **options), indent=2, ensure_ascii=False)


class OpenAPIHandler:
    """A GET handler that serves the app's document, built on first use."""

    __slots__ = ("body", "options")

    def __init__(self, app: Application | None = None, **options: Any) -> None:
        # ``app`` is accepted for compatibility: the document is built from ``ctx.app``.
        self.options = options
        self.body: bytes | None = None

    async def __call__(self, ctx: Any) -> Any:
        from mvcpy.http import _json
        from mvcpy.http.response import Response

        if self.body is None:
            self.body = _json.dumps(build_openapi(ctx.app, **self.options))
        return Response(self.body, media_type="application/json")


class OpenAPISettings(Section):
    """``[openapi]``: serve the routes' OpenAPI document (off by default)."""

    #: serve the document as JSON at ``path``
    enabled: bool = False
    path: str = "/openapi.json"
    #: the document's title ("" : the app's ``app_name``)
    title: str = ""
    version: str = "0.1.0"


class OpenAPIComponent(Component):
    """Serve the OpenAPI document at ``[openapi] path`` when ``[openapi] enabled``.

    ``app.serve_openapi()`` does the same from code.
    """

    name = "openapi"
    sections = {"openapi": OpenAPISettings}

    def install(self, setup: Setup) -> None:
        """Route the document when the settings turn it on."""
        settings = setup.settings(OpenAPISettings)
        if settings.enabled:
            handler = OpenAPIHandler(title=settings.title or None, version=settings.version)
            setup.route("GET", settings.path, handler, name="openapi")
