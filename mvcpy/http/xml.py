"""XML in and out: responses built from plain data, bodies parsed safely with defusedxml."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from mvcpy.errors import HTTPError
from mvcpy.http import _json
from mvcpy.http.response import HeadersArg, Response

__all__ = ["XMLResponse", "parse_xml", "to_xml"]

_BAD_TAG = re.compile(r"[^A-Za-z0-9_.-]")
XML_TYPES = ("application/xml", "text/xml")


def _tag(key: Any) -> str:
    tag = _BAD_TAG.sub("_", str(key)) or "item"
    return (
        tag
        if (tag[0].isalpha() or tag[0] == "_") and not tag.lower().startswith("xml")
        else f"_{tag}"
    )


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, _tag(key)), item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _fill(SubElement(element, "item"), item)
    elif value is None:
        element.set("nil", "true")
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, int | float | str):
        element.text = str(value)
    else:
        # datetimes, UUIDs, Decimals, dataclasses, pydantic models: as JSON would send them
        _fill(element, _json.loads(_json.dumps(value)))


def to_xml(obj: Any, root: str = "response") -> bytes:
    """Encode dicts, lists and scalars as XML (lists as repeated ``<item>``)."""
    element = Element(_tag(root))
    _fill(element, obj)
    encoded: bytes = tostring(element, encoding="utf-8", xml_declaration=True)
    return encoded


class XMLResponse(Response):
    """An ``application/xml`` response from plain data (or ready XML bytes/str)."""

    __slots__ = ()
    media_type = "application/xml"

    def __init__(
        self,
        content: Any,
        status: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
        root: str = "response",
    ) -> None:
        if not isinstance(content, bytes | str):
            content = to_xml(content, root)
        super().__init__(content, status, headers, media_type)


def _to_data(element: Any) -> Any:
    children = list(element)
    if not children:
        if element.get("nil") == "true":
            return None
        return element.text or ""
    if all(child.tag == "item" for child in children):
        return [_to_data(child) for child in children]
    data: dict[str, Any] = {}
    for child in children:
        value = _to_data(child)
        if child.tag in data:
            existing = data[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                data[child.tag] = [existing, value]
        else:
            data[child.tag] = value
    return data


def parse_xml(body: bytes, max_depth: int = 64) -> Any:
    """Parse an XML body into dicts, lists and strings; 400 for bad or hostile XML.

    Entity declarations (billion laughs), external entities and DTDs are refused.
    """
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
    from defusedxml.ElementTree import ParseError, fromstring  # type: ignore[import-untyped]

    if not body.strip():
        raise HTTPError(400, "Request body is empty; XML expected")
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise HTTPError(400, f"Forbidden XML construct: {type(exc).__name__}") from None
    except (ParseError, ValueError) as exc:
        raise HTTPError(400, f"Malformed XML: {exc}") from None
    stack = [(root, 1)]
    while stack:  # bound the depth before recursing into the tree
        element, depth = stack.pop()
        if depth > max_depth:
            raise HTTPError(400, f"XML is nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in element)
    return _to_data(root)
