"""GET /api/v1/openapi.json: every staff and device endpoint, generated from one table."""
from __future__ import annotations

from flask import jsonify

from server.api import bp

ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "code": {"type": "string"},
                                           "fields": {"type": "object"}}}
ITEM_IN = {"type": "object", "required": ["category", "title"], "properties": {
    "category": {"type": "string"}, "title": {"type": "string", "maxLength": 200},
    "body": {"type": "string"}, "unit": {"type": "string"},
    "audiences": {"type": "array", "items": {}}, "sensitive": {"type": "boolean"},
    "window": {"type": "object", "properties": {"start": {"type": "string", "format": "date-time"},
                                                "end": {"type": "string", "format": "date-time"}}}}}
ACTION_IN = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": ["submit", "review", "clear", "approve", "escalate",
                                          "reject", "withdraw"]},
    "comment": {"type": "string"}}}

# (method, path, summary, request schema or None, {status: description}, needs bearer)
ENDPOINTS = [
    ("post", "/tokens", "Trade user name and password for a bearer token",
     {"type": "object", "required": ["username", "password"],
      "properties": {"username": {"type": "string"}, "password": {"type": "string"}}},
     {"201": "token issued", "401": "wrong credentials", "429": "too many failures"}, False),
    ("get", "/catalog", "The caller's unit's catalog", None, {"200": "categories"}, True),
    ("get", "/items", "Items of the caller's units (?status=, ?queue=1)", None, {"200": "items"}, True),
    ("post", "/items", "Create a draft", ITEM_IN, {"201": "draft", "422": "invalid input"}, True),
    ("get", "/items/{id}", "One item with history", None, {"200": "item", "404": "not found"}, True),
    ("patch", "/items/{id}", "Edit the draft (send version)", ITEM_IN,
     {"200": "item", "409": "stale or not a draft", "422": "invalid input"}, True),
    ("put", "/items/{id}/table", "Upload the draft's table as CSV", None,
     {"200": "item", "422": "bad CSV"}, True),
    ("post", "/items/{id}/images", "Attach an image to the draft", None,
     {"201": "item", "422": "bad image"}, True),
    ("post", "/items/{id}/revisions", "Start a correction (更正) of a published item",
     {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
     {"201": "item", "409": "not published or revision in progress"}, True),
    ("get", "/calendar", "Working-day overrides and calendar warnings", None, {"200": "table"}, True),
    ("put", "/calendar", "Replace the working-day overrides (admin)",
     {"type": "object", "required": ["overrides"], "properties": {"overrides": {"type": "array"}}},
     {"200": "table", "403": "not an admin", "422": "invalid row"}, True),
    ("post", "/items/{id}/actions", "Take a workflow action", ACTION_IN,
     {"200": "item", "403": "role not allowed", "409": "not allowed in this state",
      "422": "invalid input"}, True),
]


def _operation(summary, schema, responses, secured) -> dict:
    op = {"summary": summary, "responses": {
        code: {"description": text, "content": {"application/json": {
            "schema": ERROR if code[0] in "45" else {"type": "object"}}}}
        for code, text in responses.items()}}
    if schema is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if secured:
        op["security"] = [{"bearer": []}]
        op["responses"]["401"] = {"description": "missing or invalid token"}
    return op


def document() -> dict:
    paths: dict = {}
    for method, path, summary, schema, responses, secured in ENDPOINTS:
        paths.setdefault(path, {})[method] = _operation(summary, schema, responses, secured)
    return {"openapi": "3.0.3", "info": {"title": "Gongkai API", "version": "1"},
            "servers": [{"url": "/api/v1"}], "paths": paths,
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document."""
    return jsonify(document())
