"""GeoReport v2 output: the same data as JSON or XML, and errors as a list of {code, description}."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import Response, json

# XML element name of one item of each list, as in the specification's examples.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
FORMATS = ("json", "xml")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """An error answered as the specification says: HTTP status and a list of {code, description}."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _build(parent: ET.Element, name: str, value) -> None:
    el = ET.SubElement(parent, name)
    _fill(el, name, value)


def _fill(el: ET.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _build(el, key, sub)
    elif isinstance(value, list):
        item = ITEM_NAMES.get(name, "item")
        for sub in value:
            _build(el, item, sub)
    else:
        el.text = _text(value)


def to_xml(root: str, value) -> str:
    el = ET.Element(root)
    _fill(el, root, value)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="unicode")


def respond(fmt: str, root: str, value, status: int = 200) -> Response:
    """`root` names the XML document element (services, service_definition, service_requests, ...)."""
    if fmt == "xml":
        return Response(to_xml(root, value), status=status, content_type="text/xml; charset=utf-8")
    body = json.dumps(value, ensure_ascii=False)
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def error_response(fmt: str, status: int, description: str) -> Response:
    return respond(fmt if fmt in FORMATS else "json", "errors", [{"code": status, "description": description}], status)
