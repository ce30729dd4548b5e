"""Schemathesis against a live test server: every operation of /api/v1/openapi.json gets a bounded
number of generated requests (valid and invalid ones, fixed seed: Hypothesis derandomized), sent over
real HTTP on loopback; no answer may be a server error, and every answer must match the document
(status code, content type, JSON schema). Records with id 1 exist, so the `{id}` operations reach
past 404 (the id parameter's example is 1)."""
import collections
import threading
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from werkzeug.serving import make_server

from server import audit, db
from server.instance import create_user, find_unit

EXAMPLES = 25          # per operation and generation mode: about 34 × 25 cases, under a minute here
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PASSWORD = "amber-tiger-harbour-9"


@pytest.fixture
def live(app, api):
    """The app on a free loopback port, a user holding every role, and one record of each kind."""
    with app.app_context():
        s = db.session()
        create_user(s, "fuzz", PASSWORD, ["contributor", "reviewer", "confidentiality", "approver", "handler",
                                          "supervisor", "admin"], find_unit(s, "H001"))
        s.commit()
    api.token("alice")                      # token 1 is not the fuzzer's (DELETE /tokens/1 may run)
    item = api.create()
    assert api.call("POST", "/feedback", "bob", json={"channel": "hotline", "kind": "question",
                                                      "text": "几点开门"}).status_code == 201
    assert api.call("POST", "/requests", "bob", json={"channel": "letter", "name": "张三", "id_type": "id_card",
                                                      "id_number": "110101199001011237", "contact": "13800000000",
                                                      "description": "申请公开收费标准", "delivery": "email"}).status_code == 201
    api.call("POST", "/commitments", "alice", json={"title": "承诺", "pledge": "内容", "committer_kind": "unit",
                                                   "committer": "院办", "due_date": "2030-01-01"})
    api.call("POST", "/alerts", "dan", json={"title": "停水通知", "body": "今天下午停水"})
    assert item["id"] == 1
    token = api.client.post("/api/v1/tokens", json={"username": "fuzz", "password": PASSWORD}).get_json()["token"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", token
    server.shutdown()


def test_generated_requests_find_no_server_error_and_no_schema_violation(app, live, capsys):
    base, token = live
    schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
    cases, failures = collections.Counter(), {}
    started = time.monotonic()
    for result in schema.get_all_operations():
        op = result.ok()
        strategy = op.as_strategy(schemathesis.GenerationMode.POSITIVE) | \
            op.as_strategy(schemathesis.GenerationMode.NEGATIVE)

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=strategy)
        def run(case):
            cases[op.label] += 1
            try:
                case.call_and_validate(base_url=base + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                                       checks=CHECKS, timeout=30)
            except Exception as exc:  # noqa: BLE001 — every failure is collected, then reported at once
                failures.setdefault(op.label, str(exc)[:1500])
        run()
    took = time.monotonic() - started
    with capsys.disabled():
        print(f"\nschemathesis: {len(cases)} operations, {sum(cases.values())} generated requests, {took:.1f} s")
    assert len(cases) >= 30
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    with app.app_context():
        assert audit.verify(db.session()) == []
