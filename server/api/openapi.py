"""GET /api/v1/openapi.json: every staff and device endpoint, generated from one table."""
from __future__ import annotations

from flask import jsonify

from server.api import bp

ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "code": {"type": "string"},
                                           "fields": {"type": "object"}}}
SIGNAGE = {"type": "object", "description": "How the item plays on signage screens (docs/signage.md)",
           "properties": {"enabled": {"type": "boolean"}, "ticker": {"type": "boolean"},
                          "slide": {"type": "string", "enum": ["auto", "notice", "image", "document",
                                                               "table", "stats"]},
                          "duration": {"type": "integer", "minimum": 3, "maximum": 300},
                          "order": {"type": "integer"}, "groups": {"type": "array", "items": {"type": "string"}},
                          "dayparts": {"type": "array", "items": {"type": "object"}}}}
ITEM_IN = {"type": "object", "required": ["category", "title"], "properties": {
    "category": {"type": "string"}, "title": {"type": "string", "maxLength": 200},
    "body": {"type": "string"}, "unit": {"type": "string"},
    "audiences": {"type": "array", "items": {}}, "sensitive": {"type": "boolean"}, "signage": SIGNAGE,
    "window": {"type": "object", "properties": {"start": {"type": "string", "format": "date-time"},
                                                "end": {"type": "string", "format": "date-time"}}}}}
ALERT_IN = {"type": "object", "required": ["title"], "properties": {
    "title": {"type": "string", "maxLength": 100}, "body": {"type": "string", "maxLength": 2000},
    "groups": {"type": "array", "items": {"type": "string"}}, "unit": {"type": "string"}}}
ACTION_IN = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": ["submit", "review", "clear", "approve", "escalate",
                                          "reject", "withdraw"]},
    "comment": {"type": "string"}}}
OVERRIDE_IN = {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "maxLength": 1000}, "audiences": {"type": "array", "items": {}},
    "sensitive": {"type": "boolean"}}}
COMMITMENT_IN = {"type": "object", "required": ["title", "pledge", "committer_kind", "committer", "due_date"],
                 "properties": {
    "title": {"type": "string", "maxLength": 200}, "pledge": {"type": "string", "maxLength": 1000},
    "committer_kind": {"type": "string", "enum": ["unit", "department", "party_branch"]},
    "committer": {"type": "string", "maxLength": 100}, "due_date": {"type": "string", "format": "date"},
    "category": {"type": "string", "default": "commitments"}, "unit": {"type": "string"},
    "audiences": {"type": "array", "items": {}}}}
PROGRESS_IN = {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "maxLength": 1000}, "on_date": {"type": "string", "format": "date"},
    "percent": {"type": "integer", "minimum": 0, "maximum": 100},
    "milestone": {"type": "string", "maxLength": 100}}}

# (method, path, summary, request schema or None, {status: description}, needs bearer)
ENDPOINTS = [
    ("get", "/alerts", "Emergency alerts (紧急通知) of the caller's units, active first (?active=1)",
     None, {"200": "alerts"}, True),
    ("post", "/alerts", "Raise an emergency alert on the unit's screens (approver or admin)", ALERT_IN,
     {"201": "alert", "403": "role not allowed", "422": "invalid input"}, True),
    ("post", "/alerts/{id}/clear", "Clear an emergency alert (approver or admin)", None,
     {"200": "alert", "403": "role not allowed", "404": "not found", "409": "cleared already"}, True),
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
    ("post", "/items/{id}/override", "放宽目录限制 (approver): the draft's audiences beyond its category, or "
     "not sensitive, with a reason", OVERRIDE_IN,
     {"200": "item", "403": "not an approver", "404": "not found", "409": "no draft",
      "422": "no reason, bad values or nothing to override"}, True),
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
    ("get", "/commitments", "公开承诺 of the unit (?unit=, ?committer=, ?status=, ?overdue=1)", None,
     {"200": "commitments with updates and rating counts", "422": "unknown status"}, True),
    ("post", "/commitments", "Create a commitment (a draft item of kind commitment)", COMMITMENT_IN,
     {"201": "commitment", "403": "not a contributor", "422": "invalid input"}, True),
    ("get", "/commitments/{id}", "One commitment", None, {"200": "commitment", "404": "not found"}, True),
    ("post", "/commitments/{id}/progress", "践诺: a progress update as a new revision to approve",
     PROGRESS_IN, {"201": "commitment", "403": "not a contributor",
                   "409": "not published, closed, or an update is in the workflow",
                   "422": "invalid input"}, True),
    ("patch", "/commitments/{id}/progress", "Change the 践诺 update still in draft (e.g. sent back)",
     PROGRESS_IN, {"200": "commitment", "403": "not a contributor", "409": "no draft update",
                   "422": "invalid input"}, True),
    ("post", "/commitments/{id}/close", "兑现结论: fulfilled or unfulfilled (reviewer, approver)",
     {"type": "object", "required": ["outcome", "note"], "properties": {
         "outcome": {"type": "string", "enum": ["fulfilled", "unfulfilled"]}, "note": {"type": "string"}}},
     {"200": "commitment", "403": "role not allowed", "409": "already closed or update pending",
      "422": "invalid input"}, True),
    ("get", "/commitments/ledger.csv", "台账 of the unit as CSV (UTF-8 with BOM)", None,
     {"200": "text/csv"}, True),
]


# 反馈 and 依申请公开 (server/api/feedback.py)
FEEDBACK_IN = {"type": "object", "required": ["channel", "kind", "text"], "properties": {
    "unit": {"type": "string"}, "channel": {"type": "string", "enum": ["hotline", "box", "visit"]},
    "kind": {"type": "string", "enum": ["suggestion", "complaint", "praise", "question"]},
    "text": {"type": "string", "maxLength": 1000}, "name": {"type": "string", "maxLength": 50},
    "phone": {"type": "string"}}}
FEEDBACK_ACTION_IN = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": ["assign", "answer", "publish", "close", "escalate"]},
    "department": {"type": "string", "description": "one of the unit's departments (科室列表)"},
    "handler": {"type": ["string", "integer"]},
    "kind": {"type": "string"}, "conduct": {"type": "boolean"}, "reply": {"type": "string"},
    "note": {"type": "string"}, "reason": {"type": "string"}}}
REQUEST_IN = {"type": "object", "required": ["channel", "name", "id_type", "id_number", "contact",
                                             "description", "delivery"], "properties": {
    "unit": {"type": "string"}, "channel": {"type": "string", "enum": ["letter", "visit", "hotline"]},
    "name": {"type": "string"}, "id_type": {"type": "string", "enum": ["id_card", "passport", "other"]},
    "id_number": {"type": "string"}, "contact": {"type": "string"}, "description": {"type": "string"},
    "delivery": {"type": "string", "enum": ["paper", "email", "pickup", "online"]}}}
REQUEST_ACTION_IN = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": ["correction", "corrected", "extend", "answer", "close"]},
    "note": {"type": "string"}, "notice": {"type": "string"},
    "days": {"type": "integer", "minimum": 1, "description": "extension, up to REQUEST_EXTENSION_DAYS"},
    "answer_type": {"type": "string", "enum": ["public", "provided", "partial", "refused", "not_exist",
                                               "not_held", "repeat"]},
    "text": {"type": "string"}, "item": {"type": "integer"}, "holder": {"type": "string"}}}
HANDLING = {"200": "the record", "403": "role not allowed", "404": "not found",
            "409": "not allowed in this state", "422": "invalid input"}
ENDPOINTS += [
    ("get", "/feedback", "Feedback inbox of the caller's unit (?unit=, ?status=); phone masked",
     None, {"200": "feedback list", "403": "no feedback role", "422": "bad status"}, True),
    ("post", "/feedback", "Enter a hotline call, box note or visit (staff channel); an Idempotency-Key "
     "header makes a repeat return the first record; rating_url is the rating link to give the person",
     FEEDBACK_IN,
     {"201": "feedback", "200": "repeat of an Idempotency-Key", "403": "role not allowed",
      "422": "invalid input"}, True),
    ("get", "/feedback/{id}", "One feedback with its handling steps", None,
     {"200": "feedback", "403": "not visible to this handler", "404": "not found"}, True),
    ("post", "/feedback/{id}/actions", "Assign, answer, publish, close or escalate", FEEDBACK_ACTION_IN,
     HANDLING, True),
    ("get", "/feedback/digests", "Daily overdue digests of the unit (?unit=)", None,
     {"200": "digests", "403": "role not allowed"}, True),
    ("get", "/requests", "依申请公开 requests of the caller's unit (?unit=, ?status=)", None,
     {"200": "request list", "403": "role not allowed", "422": "bad status"}, True),
    ("post", "/requests", "Enter a request that came by letter, visit or phone (Idempotency-Key as "
     "for /feedback)", REQUEST_IN,
     {"201": "request", "200": "repeat of an Idempotency-Key", "403": "role not allowed",
      "422": "invalid input"}, True),
    ("get", "/requests/{id}", "One request with its handling steps", None,
     {"200": "request", "403": "role not allowed", "404": "not found"}, True),
    ("post", "/requests/{id}/actions", "Correction, corrected, extend, answer or close",
     REQUEST_ACTION_IN, HANDLING, True),
]

# Staff credentials (server/api/tokens.py)
ENDPOINTS += [
    ("get", "/tokens", "The caller's bearer tokens that have not expired (ids and dates, never the tokens)", None,
     {"200": "tokens"}, True),
    ("delete", "/tokens/{id}", "Revoke one of the caller's own tokens", None,
     {"204": "revoked", "404": "not the caller's token"}, True),
    ("post", "/password", "Change the caller's password; every session and token ends, a fresh token is returned",
     {"type": "object", "required": ["current", "new"], "properties": {
         "current": {"type": "string"}, "new": {"type": "string", "minLength": 8, "maxLength": 200}}},
     {"200": "a fresh token", "422": "wrong current password, or a weak new one"}, True),
]

# 公开栏 (server/api/boards.py)
PRINT_QUERY = [
    {"name": "size", "in": "query", "required": False, "schema": {"type": "string", "enum": ["A4", "A3"]}},
    {"name": "orientation", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["portrait", "landscape"]}},
    {"name": "board", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "location code (二维码位置) of the item's unit; default its first"},
    {"name": "revision", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
     "description": "must be the published revision"}]
ENDPOINTS += [
    ("get", "/items/{id}/print.pdf", "打印公开栏: the published revision as a print-ready PDF with its QR code "
     "and verification line", None,
     {"200": "application/pdf", "404": "item, revision or board not found (another unit's board too)",
      "409": "not the published revision, or the unit has no board location code", "422": "bad size or orientation"},
     True),
]
QUERY = {("get", "/items/{id}/print.pdf"): PRINT_QUERY}
# 督查通报 and 整改 (server/api/circulars.py)
ENDPOINTS += [
    ("get", "/circulars", "督查通报 of the bureau (?unit=), or the published ones sent to a member hospital", None,
     {"200": "circulars with the findings the caller may see"}, True),
    ("post", "/circulars", "起草督查通报 from the bureau's summary (a supervisor who is a contributor there)",
     {"type": "object", "properties": {"unit": {"type": "string"}}},
     {"201": "circular (a draft item of the bureau)", "403": "role missing",
      "409": "not a bureau, or no member hospitals"}, True),
    ("get", "/circulars/{id}", "One circular with the findings the caller may see", None,
     {"200": "circular", "404": "not found"}, True),
    ("post", "/findings/{id}/notes", "整改说明 on one finding (the hospital's reviewer or admin); append-only",
     {"type": "object", "required": ["text"], "properties": {"text": {"type": "string", "maxLength": 2000}}},
     {"201": "finding with its notes", "403": "role missing", "404": "not found",
      "409": "circular withdrawn or not published, or finding accepted", "422": "empty or too long"}, True),
    ("post", "/findings/{id}/accept", "Accept a finding's 整改 (the bureau's supervisor)", None,
     {"200": "finding", "403": "role missing", "404": "not found",
      "409": "no note yet, accepted already, or circular withdrawn"}, True),
]
# 信息报送 (server/api/submissions.py): monthly reports sent to the bureau
ENDPOINTS += [
    ("post", "/reports/{month}/submission", "报送: freeze the unit's (?unit=) report for a finished month and "
     "send it to its bureau (reviewer or supervisor of the unit itself); sending again keeps the history", None,
     {"201": "the submission with its state, history and the report as sent", "403": "role not allowed",
      "409": "the month has not ended, or the unit has no bureau", "422": "bad month"}, True),
    ("get", "/reports/{month}/submission", "The unit's sending state for a month (on_time, late, overdue, open, "
     "not_due), its due date and latest sending", None,
     {"200": "state", "403": "role not allowed", "422": "bad month"}, True),
    ("get", "/submissions", "The bureau's (?unit=) months × member hospitals (?months=1–24, default 3); "
     "bureau supervisors", None,
     {"200": "overview", "403": "not a supervisor of the bureau", "409": "the unit is not a bureau",
      "422": "bad months"}, True),
    ("get", "/submissions/{id}", "One submitted report as it was sent, with the month's sendings "
     "(the bureau's supervisors, the unit's reviewers and supervisors)", None,
     {"200": "submission", "404": "not found"}, True),
]

# 200 answers that are JSON lists, and bodies that are not JSON
LISTS = {("get", p) for p in ("/alerts", "/catalog", "/items", "/commitments", "/feedback", "/feedback/digests",
                              "/requests", "/tokens", "/circulars")}
BODIES = {("put", "/items/{id}/table"): {"text/csv": {"schema": {"type": "string"}},
                                         "multipart/form-data": {"schema": {"type": "object", "properties": {
                                             "file": {"type": "string", "format": "binary"}}}}},
          ("post", "/items/{id}/images"): {"multipart/form-data": {"schema": {
              "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}
NOT_JSON = {("get", "/commitments/ledger.csv"): "text/csv", ("delete", "/tokens/{id}"): None,
            ("get", "/items/{id}/print.pdf"): "application/pdf"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}, "example": 1}
UNIT = {"name": "unit", "in": "query", "required": False, "schema": {"type": "string"},
        "description": "code of one of the caller's units (403 otherwise)"}
MONTH = {"name": "month", "in": "path", "required": True,
         "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}$", "minLength": 7, "maxLength": 7}, "example": "2026-01",
         "description": "YYYY-MM"}
MONTHS = {"name": "months", "in": "query", "required": False,
          "schema": {"type": "integer", "minimum": 1, "maximum": 24}}
QUERY_UNIT_POSTS = {("post", "/reports/{month}/submission")}   # POSTs that take ?unit= instead of a body
# Answers every secured call can give: 400 a body that is not a JSON object, 403 a unit or role not
# the caller's, 413 a body over the upload limit, 422 input out of bounds (server/guard/bounds.py).
COMMON = {"400": "not a JSON object", "403": "unit or role not the caller's", "413": "request too large",
          "422": "invalid input"}


def _content(method, path, code):
    if code[0] in "45":
        return {"application/json": {"schema": ERROR}}
    kind = NOT_JSON.get((method, path), "application/json")
    if kind is None:
        return None
    if kind != "application/json":
        return {kind: {"schema": {"type": "string"}}}
    if (method, path) in LISTS:
        return {kind: {"schema": {"type": "array", "items": {"type": "object"}}}}
    return {kind: {"schema": {"type": "object"}}}


def _operation(method, path, summary, schema, responses, secured) -> dict:
    answers = dict(responses)
    if secured:
        answers = {**COMMON, **answers}
        if "{id}" in path or "{month}" in path:
            answers.setdefault("404", "not found")
    elif schema is not None:
        answers = {"400": COMMON["400"], "413": COMMON["413"], "422": COMMON["422"], **answers}
    op = {"summary": summary, "responses": {}}
    for code, text in sorted(answers.items()):
        op["responses"][code] = {"description": text}
        content = _content(method, path, code)
        if content:
            op["responses"][code]["content"] = content
    params = ([ID] if "{id}" in path else []) + ([MONTH] if "{month}" in path else []) + \
        ([UNIT] if secured and (method == "get" or (method, path) in QUERY_UNIT_POSTS) else []) + \
        ([MONTHS] if path == "/submissions" else []) + QUERY.get((method, path), [])
    if params:
        op["parameters"] = params
    if schema is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    elif (method, path) in BODIES:
        op["requestBody"] = {"required": True, "content": BODIES[(method, path)]}
    if secured:
        op["security"] = [{"bearer": []}]
        op["responses"]["401"] = {"description": "missing or invalid token",
                                  "content": {"application/json": {"schema": ERROR}}}
    return op


def document() -> dict:
    paths: dict = {}
    for method, path, summary, schema, responses, secured in ENDPOINTS:
        paths.setdefault(path, {})[method] = _operation(method, path, summary, schema, responses, secured)
    return {"openapi": "3.0.3", "info": {"title": "Gongkai API", "version": "1"},
            "servers": [{"url": "/api/v1"}], "paths": paths,
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document."""
    return jsonify(document())
