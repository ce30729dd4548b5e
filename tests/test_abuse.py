"""Hostile input and abuse, each case written as the hostile request (issue 15): a clear 4xx, bounded
work, nothing lost. Every test ends with the audit chain intact and no partial rows (`intact`)."""
import json
import re

import pytest
from sqlalchemy import func, select

from server import audit, db
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.instance import find_unit
from server.models import Item, Revision

BACKENDS = ("sqlite", "postgres")

BIG = "9" * 20                      # beyond 64 bits
KEY = re.compile(r'name="k" value="([^"]+)"')


def rows(app, model) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


@pytest.fixture
def intact(app):
    """After the test: the audit chain verifies and no item exists without a revision."""
    yield
    with app.app_context():
        s = db.session()
        assert audit.verify(s) == []
        orphans = s.scalar(select(func.count()).select_from(Item).where(~Item.revisions.any()))
        assert orphans == 0


@pytest.fixture
def point(app):
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="门诊大厅"))
        s.commit()
    return "BOX1"


def raw_json(api, method, path, text, user="alice"):
    return api.call(method, path, user, data=text, content_type="application/json")


# --- 1. input bounds at the edge ----------------------------------------------------------------

def test_ids_beyond_64_bits_are_404_on_every_int_route(app, api, intact):
    """Every <int:…> route of the app, with a 20-digit id, as staff (API token or session)."""
    token = api.token("root")
    client = app.test_client()
    client.post("/admin/login", data={"username": "root", "password": "secret-pass-1",
                                      "csrf_token": _csrf(client, "/admin/login")})
    seen = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<int:[^>]+>", BIG if seen % 2 else "9" * 19, rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            seen += 1
            if path.startswith("/api/"):
                resp = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, json={})
            else:
                resp = client.open(path, method=method, data={"csrf_token": _csrf(client, "/admin/")})
            assert resp.status_code == 404, (method, path, resp.status_code)
    assert seen >= 20


def _csrf(client, path):
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, follow_redirects=True).text)
    return found.group(1) if found else ""


def test_item_query_argument_beyond_64_bits_on_the_public_form(client, point):
    for value in (BIG, "-1", "1e5", "０１", "1" * 5000):
        assert client.get(f"/f/{point}?item={value}").status_code == 200


@pytest.mark.parametrize("text,why", [
    ('{"action": "submit", "comment": NaN}', "NaN"),
    ('{"action": "submit", "comment": Infinity}', "Infinity"),
    ('{"action": "submit", "comment": -Infinity}', "-Infinity"),
    ('{"action": "submit", "n": 1e999}', "overflows to infinity"),
    ('{"action": "submit", "n": ' + "1" * 30 + "}", "integer beyond 64 bits"),
    ('{"action": "submit", "comment": "\\ud800"}', "lone surrogate"),
    ('{"action": "submit", "comment": "a\\u0000b"}', "NUL"),
    ("[" * 50000 + "]" * 50000, "50,000-deep nesting"),
    ('{"a":' * 40 + "1" + "}" * 40, "40-deep nesting"),
])
def test_unstorable_json_is_422_everywhere(api, text, why, intact):
    item = api.create()
    for method, path in (("POST", f"/items/{item['id']}/actions"), ("POST", "/items"),
                         ("PATCH", f"/items/{item['id']}"), ("POST", "/feedback"), ("PUT", "/calendar")):
        resp = raw_json(api, method, path, text, user="root" if path == "/calendar" else "boss")
        assert resp.status_code == 422, (why, path, resp.status_code)
        assert resp.get_json()["code"] == "bad_input" and resp.get_json()["error"]
    enrol = api.client.post("/api/v1/devices/enrol", data=text, content_type="application/json")
    assert enrol.status_code == 422, why


def test_huge_screen_size_at_enrolment_is_422(client):
    for screen in ({"w": 1e308, "h": 1e308}, {"w": 10**18, "h": 100}, {"w": "9" * 5000, "h": 1},
                   {"w": True, "h": True}, {"w": [1], "h": {}}):
        resp = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": screen})
        assert resp.status_code == 422, screen


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:00:00+00:00",
                                  "1999-12-31T00:00:00+08:00", "2101-01-02T00:00:00+00:00"])
def test_windows_outside_2000_to_2100_are_refused(api, when, intact):
    resp = api.call("POST", "/items", "alice", json={"category": "prices", "title": "t",
                                                     "window": {"start": None, "end": when}})
    assert resp.status_code == 422 and "window" in resp.get_json()["fields"]
    steps = [{"audiences": ["public"], "at": when}]
    resp = api.call("POST", "/items", "alice", json={"category": "prices", "title": "t", "audiences": steps})
    assert resp.status_code == 422 and "audiences" in resp.get_json()["fields"]


def test_dates_outside_2000_to_2100_are_refused(api, intact):
    bad = {"title": "t", "pledge": "p", "committer_kind": "unit", "committer": "院办", "due_date": "0001-01-01"}
    assert api.call("POST", "/commitments", "alice", json=bad).status_code == 422
    resp = api.call("PUT", "/calendar", "root", json={"overrides": [{"date": "9999-12-31", "working": True}]})
    assert resp.status_code == 422


def test_month_arguments_outside_the_years_are_not_a_server_error(app, api):
    client = app.test_client()
    client.post("/admin/login", data={"username": "bob", "password": "secret-pass-1",
                                      "csrf_token": _csrf(client, "/admin/login")})
    for month in ("0001-01", "9999-12", "2026-13", "x"):
        assert client.get(f"/admin/satisfaction?month={month}").status_code == 404
        assert client.get(f"/admin/compliance/report?month={month}").status_code in (400, 403)


def test_nul_in_forms_and_query_arguments_is_422(client, point, intact):
    key = KEY.search(client.get(f"/f/{point}").text).group(1)
    resp = client.post(f"/f/{point}", data={"k": key, "kind": "suggestion", "text": "a\x00b"})
    assert resp.status_code == 422 and "NUL" in resp.text
    assert client.get("/t?code=FK\x00").status_code == 422
    assert rows(client.application, Feedback) == 0


def test_tables_sent_as_json_keep_the_csv_limits(api, app, intact):
    item = api.create()
    limits = app.config["MAX_TABLE_ROWS"]
    cases = [{"columns": ["c"] * 51, "rows": [["x"] * 51]},
             {"columns": ["a"], "rows": [["x"]] * (limits + 1)},
             {"columns": ["a"], "rows": [["x" * 2001]]},
             {"columns": ["a"], "rows": [[{"nested": 1}]]},
             {"columns": [""], "rows": [["x"]]},
             {"columns": ["a", "b"], "rows": [["x"]]}]
    for table in cases:
        resp = api.call("PATCH", f"/items/{item['id']}", "alice", json={"version": 1, "table": table})
        assert resp.status_code == 422 and "table" in resp.get_json()["fields"], str(table)[:80]
    ok = api.call("PATCH", f"/items/{item['id']}", "alice",
                  json={"version": 1, "table": {"columns": ["项目", "价格"], "rows": [["CT", 300]]}})
    assert ok.status_code == 200 and ok.get_json()["table"]["rows"] == [["CT", "300"]]


def test_free_text_fields_are_bounded(api, app, intact):
    item = api.create()
    huge = "长" * 1_000_000
    resp = api.call("POST", f"/items/{item['id']}/actions", "alice", json={"action": "submit", "comment": huge})
    assert resp.status_code == 422
    resp = api.call("POST", f"/items/{item['id']}/actions", "alice",
                    json={"action": "submit", "comment": "长" * 2001})
    assert resp.status_code == 422 and "comment" in resp.get_json()["fields"]
    with app.app_context():
        assert db.session().get(Item, item["id"]).revisions[-1].status == "draft"
    fb = api.call("POST", "/feedback", "bob", json={"channel": "hotline", "kind": "question", "text": "问"})
    fb_id = fb.get_json()["id"]
    for data in ({"action": "close", "note": "n" * 2001}, {"action": "escalate", "reason": "r" * 2001}):
        assert api.call("POST", f"/feedback/{fb_id}/actions", "bob", json=data).status_code == 422
