"""The feedback and 依申请公开 staff API: inbox per role with masked phones, one record with its steps,
the handling actions, staff-entered records, and 403/404/409/422 with Chinese messages."""
from datetime import date

import pytest
from sqlalchemy import select

from content.calendar import WorkingDayCalendar

from conftest import PASSWORD
from server import db
from server.hearing import feedback as fbs
from server.hearing.models import Feedback, InfoRequest
from server.instance import create_user, find_unit

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

REQUEST = {"channel": "letter", "name": "张三", "id_type": "id_card", "id_number": "330102199001011234",
           "contact": "杭州市上城区 1 号", "description": "2025 年药品采购 <目录>", "delivery": "paper"}


@pytest.fixture
def handlers(app):
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "hank", PASSWORD, ["handler"], unit)
        create_user(s, "hal", PASSWORD, ["handler"], unit)
        s.commit()


def public_feedback(app, **data) -> int:
    with app.test_request_context():
        s = db.session()
        fb, _ = fbs.create(s, find_unit(s, "H001"), {"kind": "complaint", "text": "候诊 <太久>",
                                                     "phone": "13800138000", **data})
        return fb.id


def test_feedback_handling_loop_through_the_api(app, api, client, handlers):
    fb_id = public_feedback(app)
    listed = api.call("GET", "/feedback", "bob")
    assert listed.status_code == 200
    [row] = listed.get_json()
    assert row["id"] == fb_id and row["phone"] == "138****8000" and row["text"] == "候诊 <太久>"
    assert row["status"] == "new" and row["badge"] is None and row["due"]
    assert api.call("GET", "/feedback", "hank").get_json() == []     # handlers see no untriaged ones
    one = api.call("GET", f"/feedback/{fb_id}", "bob").get_json()
    assert [s["action"] for s in one["steps"]] == ["received"]

    bad = api.call("POST", f"/feedback/{fb_id}/actions", "bob", json={"action": "assign", "department": ""})
    assert bad.status_code == 422 and bad.get_json()["fields"]["department"] == "必填"
    unknown = api.call("POST", f"/feedback/{fb_id}/actions", "bob",
                       json={"action": "assign", "department": "门诊部", "handler": "nobody"})
    assert unknown.status_code == 422 and "handler" in unknown.get_json()["fields"]
    not_handler = api.call("POST", f"/feedback/{fb_id}/actions", "bob",
                           json={"action": "assign", "department": "门诊部", "handler": "alice"})
    assert not_handler.status_code == 422 and "答复人" in not_handler.get_json()["fields"]["handler"]
    assert api.call("POST", f"/feedback/{fb_id}/actions", "hank",
                    json={"action": "assign", "department": "门诊部"}).status_code == 403
    done = api.call("POST", f"/feedback/{fb_id}/actions", "bob",
                    json={"action": "assign", "department": "门诊部", "handler": "hank"})
    assert done.status_code == 200 and done.get_json()["handler"] == "hank"
    assert done.get_json()["status"] == "assigned"

    assert api.call("GET", f"/feedback/{fb_id}", "hank").get_json()["phone"] == "13800138000"
    other = api.call("GET", f"/feedback/{fb_id}", "hal")
    assert other.status_code == 403 and other.get_json()["error"] == "无权访问"
    assert api.call("GET", "/feedback", "hal").get_json() == []
    early = api.call("POST", f"/feedback/{fb_id}/actions", "bob", json={"action": "publish"})
    assert early.status_code == 409 and early.get_json()["error"] == "当前状态下不能执行此操作"
    assert api.call("POST", f"/feedback/{fb_id}/actions", "hank",
                    json={"action": "answer", "reply": ""}).status_code == 422
    assert api.call("POST", f"/feedback/{fb_id}/actions", "hank",
                    json={"action": "answer", "reply": 42}).status_code == 422
    answered = api.call("POST", f"/feedback/{fb_id}/actions", "hank",
                        json={"action": "answer", "reply": "已增开窗口"})
    assert answered.status_code == 200 and answered.get_json()["on_time"] is True
    code = answered.get_json()["code"]
    assert "已增开窗口" not in client.get(f"/t/{code}").text
    assert api.call("POST", f"/feedback/{fb_id}/actions", "hank",
                    json={"action": "publish"}).status_code == 200
    assert "已增开窗口" in client.get(f"/t/{code}").text
    assert api.call("POST", f"/feedback/{fb_id}/actions", "hank", json={"action": "close"}).status_code == 403
    closed = api.call("POST", f"/feedback/{fb_id}/actions", "bob", json={"action": "close"})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    steps = [s["action"] for s in closed.get_json()["steps"]]
    assert steps == ["received", "assigned", "answered", "published", "closed"]
    assert api.call("GET", "/feedback?status=closed", "bob").get_json()[0]["id"] == fb_id
    assert api.call("GET", "/feedback", "bob").get_json() == []


def test_escalation_and_conduct_complaints_reach_the_supervisor(app, api, handlers):
    fb_id = public_feedback(app)
    other_id = public_feedback(app, kind="suggestion", text="增加座椅")
    conduct = api.call("POST", f"/feedback/{fb_id}/actions", "bob",
                       json={"action": "assign", "department": "门诊部", "conduct": True})
    assert conduct.status_code == 200 and conduct.get_json()["escalated"] is True
    assert conduct.get_json()["escalation_reason"] == "conduct"
    assert api.call("POST", f"/feedback/{fb_id}/actions", "bob",
                    json={"action": "assign", "department": "x", "conduct": "yes"}).status_code == 422
    assert api.call("POST", f"/feedback/{other_id}/actions", "bob",
                    json={"action": "escalate", "reason": "  "}).status_code == 422
    assert api.call("POST", f"/feedback/{other_id}/actions", "bob",
                    json={"action": "escalate", "reason": "多次反映"}).status_code == 200
    assert api.call("POST", f"/feedback/{other_id}/actions", "bob",
                    json={"action": "escalate", "reason": "again"}).status_code == 409
    sue = api.call("GET", "/feedback?status=escalated", "sue").get_json()
    assert {r["id"] for r in sue} == {fb_id, other_id}
    assert all(r["phone"] == "13800138000" for r in sue)              # the supervisor sees everything


def test_staff_entered_feedback(app, api, handlers):
    resp = api.call("POST", "/feedback", "hank", json={"channel": "hotline", "kind": "question",
                                                       "text": "几点挂号？", "phone": "0571-8888888"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["channel"] == "hotline" and body["steps"][0]["actor"] == "hank"
    assert body["code"].startswith("FK-")
    call = {"channel": "box", "kind": "suggestion", "text": "意见箱：增加座椅"}
    first = api.call("POST", "/feedback", "bob", json=call, headers={"Idempotency-Key": "box-2026-10-12-1"})
    again = api.call("POST", "/feedback", "bob", json=call, headers={"Idempotency-Key": "box-2026-10-12-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert api.call("POST", "/feedback", "bob", json=call,
                    headers={"Idempotency-Key": "k" * 49}).status_code == 422
    for bad, field in (({"channel": "qr", "kind": "question", "text": "x"}, "channel"),
                       ({"channel": "box", "kind": "rant", "text": "x"}, "kind"),
                       ({"channel": "box", "kind": "question", "text": "x" * 1001}, "text"),
                       ({"channel": "box", "kind": "question", "text": "x", "phone": "abc"}, "phone"),
                       ({"channel": "box", "kind": "question", "text": ["x"]}, "text")):
        err = api.call("POST", "/feedback", "bob", json=bad)
        assert err.status_code == 422 and field in err.get_json()["fields"], bad
        assert err.get_json()["error"] == "提交的内容有误"
    assert api.call("POST", "/feedback", "alice", json={"channel": "box", "kind": "question",
                                                        "text": "x"}).status_code == 403
    assert api.call("POST", "/feedback", "bob", data="not json",
                    headers={"Content-Type": "application/json"}).status_code == 400
    assert api.call("POST", "/feedback", "bob", json={"unit": "H002", "channel": "box", "kind": "question",
                                                      "text": "x"}).status_code == 403
    with app.app_context():
        assert len(db.session().scalars(select(Feedback).where(Feedback.channel == "box")).all()) == 1


def test_roles_units_and_bad_paths(app, api, client, handlers):
    fb_id = public_feedback(app)
    assert client.get("/api/v1/feedback").status_code == 401
    assert api.call("GET", "/feedback", "alice").status_code == 403
    assert api.call("GET", f"/feedback/{fb_id}", "alice").status_code == 403
    assert api.call("GET", f"/feedback/{fb_id}", "zed").status_code == 404     # other unit: no leak
    assert api.call("GET", "/feedback/999999", "bob").status_code == 404
    assert api.call("GET", "/feedback?unit=H002", "bob").status_code == 403
    assert api.call("GET", "/feedback?status=bogus", "bob").status_code == 422
    assert api.call("POST", f"/feedback/{fb_id}/actions", "bob", json={"action": "delete"}).status_code == 422
    assert api.call("POST", f"/feedback/{fb_id}/actions", "zed", json={"action": "close"}).status_code == 404
    english = api.call("GET", "/feedback", "alice", headers={"Accept-Language": "en"})
    assert english.get_json()["error"] == "You do not hold a role allowed to do this"
    assert api.call("GET", "/requests", "alice").status_code == 403
    assert api.call("GET", "/requests?status=bogus", "bob").status_code == 422


def test_request_workflow_through_the_api(app, api, client, handlers):
    created = api.call("POST", "/requests", "hank", json=REQUEST)
    assert created.status_code == 201
    req = created.get_json()
    req_id = req["id"]
    assert req["channel"] == "letter" and req["code"].startswith("SQ-") and req["status"] == "received"
    assert req["id_number"] == "330****1234" and req["description"] == "2025 年药品采购 <目录>"
    assert api.call("GET", f"/requests/{req_id}", "sue").get_json()["id_number"] == "330102199001011234"
    assert [r["id"] for r in api.call("GET", "/requests", "bob").get_json()] == [req_id]

    assert api.call("POST", f"/requests/{req_id}/actions", "bob",
                    json={"action": "correction", "note": ""}).status_code == 422
    corr = api.call("POST", f"/requests/{req_id}/actions", "bob",
                    json={"action": "correction", "note": "请写明年份"})
    assert corr.status_code == 200 and corr.get_json()["status"] == "correction"
    assert corr.get_json()["alert"] is None                           # the clock stops in 补正
    assert api.call("POST", f"/requests/{req_id}/actions", "bob",
                    json={"action": "extend", "notice": "x"}).status_code == 409
    restarted = api.call("POST", f"/requests/{req_id}/actions", "bob", json={"action": "corrected"})
    assert restarted.status_code == 200 and restarted.get_json()["status"] == "received"
    before = restarted.get_json()["due"]
    for days in (0, 21, "5", True):                                  # up to REQUEST_EXTENSION_DAYS
        bad = api.call("POST", f"/requests/{req_id}/actions", "bob",
                       json={"action": "extend", "notice": "x", "days": days})
        assert bad.status_code == 422 and "days" in bad.get_json()["fields"], days
    ext = api.call("POST", f"/requests/{req_id}/actions", "bob",
                   json={"action": "extend", "notice": "需征求第三方意见", "days": 10})
    assert ext.status_code == 200 and ext.get_json()["extended"]
    with app.app_context():
        cal = WorkingDayCalendar()
        assert cal.working_days_between(date.fromisoformat(before), date.fromisoformat(ext.get_json()["due"])) == 10
    assert api.call("POST", f"/requests/{req_id}/actions", "bob",
                    json={"action": "extend", "notice": "again"}).status_code == 409
    for bad, field in (({"answer_type": "refused"}, "answer_text"),
                       ({"answer_type": "not_held"}, "holder"),
                       ({"answer_type": "public"}, "item"),
                       ({"answer_type": "public", "item": "7"}, "item"),
                       ({"answer_type": "maybe"}, "answer_type")):
        err = api.call("POST", f"/requests/{req_id}/actions", "bob", json={"action": "answer", **bad})
        assert err.status_code == 422 and field in err.get_json()["fields"], bad
    held = api.call("POST", f"/requests/{req_id}/actions", "bob",
                    json={"action": "answer", "answer_type": "not_held", "text": "由卫健委掌握",
                          "holder": "市卫生健康委员会"})
    assert held.status_code == 200 and held.get_json()["holder"] == "市卫生健康委员会"
    assert api.call("POST", f"/requests/{req_id}/actions", "bob",
                    json={"action": "answer", "answer_type": "provided"}).status_code == 409
    closed = api.call("POST", f"/requests/{req_id}/actions", "bob", json={"action": "close"})
    assert closed.status_code == 200
    assert [s["action"] for s in closed.get_json()["steps"]] == [
        "received", "correction", "corrected", "extended", "answered", "closed"]
    assert "非本机关掌握" in client.get(f"/t/{req['code']}").text
    assert api.call("GET", f"/requests/{req_id}", "zed").status_code == 404
    assert api.call("POST", f"/requests/{req_id}/actions", "alice", json={"action": "close"}).status_code == 403


def test_request_answered_with_a_published_item(app, api, handlers):
    item = api.publish(api.create()["id"])
    req_id = api.call("POST", "/requests", "bob", json={**REQUEST, "channel": "visit"}).get_json()["id"]
    answered = api.call("POST", f"/requests/{req_id}/actions", "bob",
                        json={"action": "answer", "answer_type": "public", "item": item["id"]})
    assert answered.status_code == 200 and answered.get_json()["answer_item"] == item["id"]
    with app.app_context():
        assert db.session().get(InfoRequest, req_id).answer_item_id == item["id"]


def test_staff_entered_request_bad_input(app, api, handlers):
    for bad, field in (({**REQUEST, "channel": "web"}, "channel"),
                       ({**REQUEST, "id_type": "licence"}, "id_type"),
                       ({**REQUEST, "description": ""}, "description"),
                       ({**REQUEST, "name": "名" * 51}, "name"),
                       ({**REQUEST, "contact": 12345}, "contact")):
        err = api.call("POST", "/requests", "bob", json=bad)
        assert err.status_code == 422 and field in err.get_json()["fields"], bad
    assert api.call("POST", "/requests", "alice", json=REQUEST).status_code == 403
    with app.app_context():
        assert db.session().scalar(select(InfoRequest)) is None
    twice = [api.call("POST", "/requests", "bob", json=REQUEST, headers={"Idempotency-Key": "letter-7"})
             for _ in range(2)]
    assert [r.status_code for r in twice] == [201, 200]
    other = api.call("POST", "/requests", "sue", json=REQUEST, headers={"Idempotency-Key": "letter-7"})
    assert other.status_code == 201                                   # keys are per caller
    with app.app_context():
        assert len(db.session().scalars(select(InfoRequest)).all()) == 2


def test_openapi_describes_the_feedback_endpoints(api):
    paths = api.call("GET", "/openapi.json").get_json()["paths"]
    for path, methods in {"/feedback": {"get", "post"}, "/feedback/{id}": {"get"},
                          "/feedback/{id}/actions": {"post"}, "/feedback/digests": {"get"},
                          "/requests": {"get", "post"}, "/requests/{id}": {"get"},
                          "/requests/{id}/actions": {"post"}}.items():
        assert methods <= set(paths[path]), path
    assert "not_held" in str(paths["/requests/{id}/actions"]["post"])
