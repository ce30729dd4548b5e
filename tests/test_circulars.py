"""督查通报 and 整改 over the real app: drafting from the bureau's real figures (overdue feedback and a
late change made here), the bureau's own workflow, reaching member hospitals' staff screens (the signed
feed) but not public screens nor public pages, answering, another hospital's finding 404, a withdrawn
circular refusing notes, and who may call every new route (anonymous, a member hospital's contributor,
another unit's staff). The storing paths run on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from server import db
from server.bureau import rectification
from server.bureau.models import Circular
from server.boards.models import BoardPosting
from server.hearing.models import Feedback, FeedbackPoint
from server.instance import add_unit, create_user, find_unit
from server.models import AuditEntry, Item, utcnow
from server.oversight import compliance
from server.workdays import calendar_for, local
from test_admin import Staff
from test_devices import Screen

BUREAU_FLOW = [("submit", "chief"), ("review", "bview"), ("clear", "bclear"), ("approve", "bboss")]


@pytest.fixture
def world(app, api):
    """Bureau B01 over H001 and H002 (H003 outside it), its staff, overdue feedback at H001 and a change
    left undisclosed for 60 days at H002."""
    with app.app_context():
        s = db.session()
        h1, h2 = find_unit(s, "H001"), find_unit(s, "H002")
        bureau = add_unit(s, "B01", "县卫生健康局", kind="bureau")
        h1.parent, h2.parent = bureau, bureau
        h3 = add_unit(s, "H003", "邻县医院")
        for name, roles in [("chief", ["supervisor", "contributor"]), ("bview", ["reviewer"]),
                            ("bclear", ["confidentiality"]), ("bboss", ["approver"]), ("bwatch", ["supervisor"])]:
            create_user(s, name, PASSWORD, roles, bureau)
        create_user(s, "outsider", PASSWORD, ["reviewer", "admin", "contributor"], h3)
        create_user(s, "hsup", PASSWORD, ["supervisor", "contributor"], h3)   # a hospital has nobody to circulate to
        today = local(utcnow()).date()
        s.add(Feedback(unit_id=h1.id, code="FK-2026-TEST1", kind="complaint", text="候诊时间太长",
                       received_at=utcnow() - timedelta(days=40), due_date=today - timedelta(days=30)))
        s.commit()
    late = api.call("POST", "/items", "zed", json={"category": "prices", "title": "检查费调整", "body": "调整",
                                                   "unit": "H002"}, query_string={"unit": "H002"})
    assert late.status_code == 201, late.get_json()
    with app.app_context():
        s = db.session()
        rev = s.get(Item, late.get_json()["id"]).revisions[-1]
        rev.created_at = rev.updated_at = utcnow() - timedelta(days=60)
        s.commit()
    posted = api.call("POST", "/items", "zed", json={"category": "prices", "title": "床位费标准", "body": "已撤销",
                                                     "unit": "H002"}, query_string={"unit": "H002"})
    with app.app_context():   # a print of a revision withdrawn 10 days ago still hangs at H002's board
        s = db.session()
        rev = s.get(Item, posted.get_json()["id"]).revisions[-1]
        rev.status, rev.published_at = "withdrawn", utcnow() - timedelta(days=20)
        board = FeedbackPoint(unit_id=find_unit(s, "H002").id, code="B2X1", name="住院部公开栏")
        s.add(board)
        s.flush()
        s.add(BoardPosting(unit_id=board.unit_id, board_id=board.id, item_id=rev.item_id, revision_number=rev.number,
                           posted_at=utcnow() - timedelta(days=15)))
        s.commit()
    return api


def draft(api, user="chief"):
    resp = api.call("POST", "/circulars", user, json={"unit": "B01"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def publish(api, circular):
    for action, user in BUREAU_FLOW:
        resp = api.act(circular["item"], action, user)
        assert resp.status_code == 200, (action, resp.get_json())


def finding_of(circular, unit, kind):
    return next(f for f in circular["findings"] if f["unit"] == unit and f["kind"] == kind)


def test_draft_holds_the_real_figures_in_body_table_and_findings(app, world):
    api = world
    with app.app_context():
        s = db.session()
        want = {u: compliance.dashboard(s, find_unit(s, u))["totals"] for u in ("H001", "H002")}
    assert want["H001"]["feedback_overdue"] == 1 and want["H002"]["change_overdue"] == 1
    c = draft(api)
    item = api.call("GET", f"/items/{c['item']}", "chief", query_string={"unit": "B01"}).get_json()
    assert item["status"] == "draft" and item["category"] == "supervision-circulars"
    assert item["title"].startswith("关于") and item["title"].endswith("月院务公开督查情况的通报")
    body = item["body"]
    h1_line = next(line for line in body.splitlines() if "**第一人民医院**" in line)
    h2_line = next(line for line in body.splitlines() if "**第二人民医院**" in line)
    assert "意见反馈逾期未办结 1 项" in h1_line and "变更信息逾期未公开" not in h1_line
    assert "变更信息逾期未公开 1 项" in h2_line and "意见反馈逾期未办结" not in h2_line
    assert f"定期公开逾期 {want['H001']['periodic_overdue']} 项" in h1_line or not want["H001"]["periodic_overdue"]
    assert "10 个工作日内" in body
    with app.app_context():
        table = db.session().scalar(select(Circular).where(Circular.id == c["id"])).item.revisions[-1].table
    assert table["columns"] == ["医院", "定期公开逾期", "变更信息逾期未公开", "意见反馈逾期未办结", "依申请公开逾期",
                                "满意率低于警戒线", "公开栏张贴未更新"]
    rows = {r[0]: r[1:] for r in table["rows"]}
    for code, name in (("H001", "第一人民医院"), ("H002", "第二人民医院")):
        t = want[code]
        assert rows[name] == [str(t["periodic_overdue"]), str(t["change_overdue"]), str(t["feedback_overdue"]),
                              str(t["requests_late"]), str(t["flags"]), "1" if code == "H002" else "0"]
    kinds = {(f["unit"], f["kind"]): f["figure"] for f in c["findings"]}
    assert kinds[("H001", "feedback_overdue")] == 1 and kinds[("H002", "change_overdue")] == 1
    assert kinds[("H002", "outdated_boards")] == 1 and ("H001", "outdated_boards") not in kinds
    assert ("H001", "change_overdue") not in kinds and all(v > 0 for v in kinds.values())
    assert all(f["state"] == "pending" and f["due_date"] is None for f in c["findings"])


def test_who_may_draft(app, world):
    api = world
    assert api.call("POST", "/circulars", json={"unit": "B01"}).status_code == 401
    assert api.call("POST", "/circulars", "bwatch", json={"unit": "B01"}).status_code == 403   # no contributor role
    assert api.call("POST", "/circulars", "bview", json={"unit": "B01"}).status_code == 403
    assert api.call("POST", "/circulars", "alice", json={"unit": "B01"}).status_code == 403   # not the caller's unit
    assert api.call("POST", "/circulars", "alice", json={"unit": "H001"}).status_code == 403  # no supervisor role
    refused = api.call("POST", "/circulars", "sue", json={"unit": "H001"})   # supervisor of a hospital
    assert refused.status_code == 403
    not_bureau = api.call("POST", "/circulars", "hsup", json={"unit": "H003"})
    assert not_bureau.status_code == 409 and "主管局" in not_bureau.get_json()["error"]
    assert api.call("POST", "/circulars", "chief", json=[1]).status_code == 400
    with app.app_context():
        s = db.session()
        assert s.scalars(select(Circular)).all() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_published_circular_is_answered_per_hospital_and_accepted(app, world):
    api = world
    c = draft(api)
    h1f, h2f = finding_of(c, "H001", "feedback_overdue"), finding_of(c, "H002", "change_overdue")
    # before publication the hospitals see nothing of it
    assert api.call("GET", f"/circulars/{c['id']}", "bob").status_code == 404
    assert api.call("POST", f"/findings/{h1f['id']}/notes", "bob", json={"text": "已整改"}).status_code == 404
    assert api.call("GET", "/circulars", "bob", query_string={"unit": "H001"}).get_json() == []
    publish(api, c)
    # each hospital reads the circular with its own findings only
    seen = api.call("GET", f"/circulars/{c['id']}", "bob").get_json()
    assert {f["unit"] for f in seen["findings"]} == {"H001"} and seen["due_date"] is not None
    assert {f["unit"] for f in api.call("GET", f"/circulars/{c['id']}", "zed").get_json()["findings"]} == {"H002"}
    assert {f["unit"] for f in api.call("GET", f"/circulars/{c['id']}", "chief").get_json()["findings"]} == {"H001", "H002"}
    assert [x["id"] for x in api.call("GET", "/circulars", "zed", query_string={"unit": "H002"}).get_json()] == [c["id"]]
    # due: RECTIFICATION_DAYS working days after publication
    with app.app_context():
        s = db.session()
        circ = s.get(Circular, c["id"])
        due = calendar_for(s).add_working_days(local(rectification.published_at(circ)).date(), 10)
        assert seen["due_date"] == due.isoformat()
        late_rows = rectification.rows(s, _user(s, "chief"), circ, today=due + timedelta(days=1))
        assert {r["state"] for r in late_rows} == {"overdue"}
    # another hospital's finding is not there at all; a contributor may read but not answer
    assert api.call("POST", f"/findings/{h2f['id']}/notes", "bob", json={"text": "x"}).status_code == 404
    assert api.call("POST", f"/findings/{h1f['id']}/notes", "outsider", json={"text": "x"}).status_code == 404
    assert api.call("GET", f"/circulars/{c['id']}", "outsider").status_code == 404
    assert api.call("GET", f"/circulars/{c['id']}", "alice").status_code == 200
    assert api.call("POST", f"/findings/{h1f['id']}/notes", "alice", json={"text": "x"}).status_code == 403
    # bad notes: a clear Chinese error, nothing stored
    empty = api.call("POST", f"/findings/{h1f['id']}/notes", "bob", json={"text": "  "})
    assert empty.status_code == 422 and empty.get_json()["fields"]["text"] == "必填"
    long = api.call("POST", f"/findings/{h1f['id']}/notes", "bob", json={"text": "长" * 2001})
    assert long.status_code == 422 and "2000" in long.get_json()["fields"]["text"]
    assert api.call("POST", f"/findings/{h1f['id']}/notes", "bob", json={"text": 5}).status_code == 422
    # answered, and a second note adds to the first (append-only)
    first = api.call("POST", f"/findings/{h1f['id']}/notes", "bob", json={"text": "已逐件回复并办结"})
    assert first.status_code == 201 and first.get_json()["state"] == "answered"
    second = api.call("POST", f"/findings/{h1f['id']}/notes", "root", json={"text": "补充：建立每日提醒"})
    assert [n["text"] for n in second.get_json()["notes"]] == ["已逐件回复并办结", "补充：建立每日提醒"]
    # the bureau accepts; hospitals cannot; nothing to accept → 409; after acceptance no more notes
    assert api.call("POST", f"/findings/{h1f['id']}/accept", "bob").status_code == 403
    assert api.call("POST", f"/findings/{h2f['id']}/accept", "chief").status_code == 409
    ok = api.call("POST", f"/findings/{h1f['id']}/accept", "bwatch")
    assert ok.status_code == 200 and ok.get_json()["state"] == "accepted"
    again = api.call("POST", f"/findings/{h1f['id']}/notes", "bob", json={"text": "再补充"})
    assert again.status_code == 409
    with app.app_context():
        s = db.session()
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.target == f"finding:{h1f['id']}"))]
        assert actions == ["circular.rectify", "circular.rectify", "circular.accept"]
    # withdrawn: a note is refused with a message, and the bureau cannot accept either
    assert api.act(c["item"], "withdraw", "bboss", "数据有误，重新通报").status_code == 200
    refused = api.call("POST", f"/findings/{h2f['id']}/notes", "zed", json={"text": "已整改"})
    assert refused.status_code == 409 and "已撤销" in refused.get_json()["error"]
    assert api.call("GET", f"/circulars/{c['id']}", "zed").get_json()["withdrawn"] is True


def _user(s, name):
    from server.models import User
    return s.scalar(select(User).where(User.username == name))


def test_reaches_member_staff_screens_only_never_public_screens_or_pages(app, world, client):
    api = world
    staff_screen = Screen(api, audiences=("staff",))              # H001, a member hospital
    public_screen = Screen(api, audiences=("public", "patients"))
    c = draft(api)
    title = api.call("GET", f"/circulars/{c['id']}", "chief").get_json()["title"]
    assert title not in staff_screen.titles()                     # a draft reaches nobody
    publish(api, c)
    assert title in staff_screen.titles()
    assert title not in public_screen.titles()
    for code in (staff_screen.info["screen_code"], public_screen.info["screen_code"]):
        page = client.get(f"/f/{code}?item={c['item']}")
        assert page.status_code == 200 and title not in page.text and "督查" not in page.text
    assert api.act(c["item"], "withdraw", "bboss", "撤回").status_code == 200
    assert title not in staff_screen.titles()


def test_staff_pages_draft_answer_refuse_and_queue(app, world):
    chief, bob, zed, alice = (Staff(app, n) for n in ("chief", "bob", "zed", "alice"))
    board = chief.get("/admin/compliance?unit=B01")
    assert board.status_code == 200 and "起草督查通报" in board.text
    made = chief.post("/admin/compliance/circular")
    assert made.status_code == 302 and "/admin/items/" in made.location
    assert 'id="circular-link"' in chief.get(made.location).text                 # the draft's item page leads to it
    assert alice.post("/admin/compliance/circular").status_code == 403
    assert Staff(app).get("/admin/circulars").status_code == 302           # anonymous: to the login page
    with app.app_context():
        c = db.session().scalars(select(Circular)).one()
        cid, item_id = c.id, c.item_id
        h1f = next(f.id for f in c.findings if f.unit.code == "H001")
        h2f = next(f.id for f in c.findings if f.unit.code == "H002")
    assert bob.get(f"/admin/circulars/{cid}").status_code == 404           # not published yet
    publish(world, {"item": item_id})
    assert "督查通报待整改" in bob.get("/admin/?unit=H001").text
    page = bob.get(f"/admin/circulars/{cid}")
    assert page.status_code == 200 and f'id="finding-{h1f}"' in page.text and f'id="finding-{h2f}"' not in page.text
    assert "各医院情况" in page.text and "第二人民医院" in page.text          # the per-hospital table is the circular's
    assert f'id="finding-{h1f}"' not in zed.get(f"/admin/circulars/{cid}").text
    assert bob.post(f"/admin/circulars/findings/{h2f}/note", {"text": "x"}).status_code == 404
    assert alice.post(f"/admin/circulars/findings/{h1f}/note", {"text": "x"}).status_code == 403
    bad = bob.post(f"/admin/circulars/findings/{h1f}/note", {"text": ""})
    assert bad.status_code == 422 and "必填" in bad.text
    assert bob.post(f"/admin/circulars/findings/{h1f}/note", {"text": "已整改完毕"}).status_code == 302
    assert "已填报" in chief.get(f"/admin/circulars/{cid}?unit=B01").text
    assert "待确认的整改说明" in chief.get("/admin/?unit=B01").text
    assert bob.post(f"/admin/circulars/findings/{h1f}/accept").status_code == 403
    assert chief.post(f"/admin/circulars/findings/{h1f}/accept").status_code == 302
    assert "已确认" in chief.get(f"/admin/circulars/{cid}").text
    listed = zed.get("/admin/circulars?unit=H002")
    assert listed.status_code == 200 and f"/admin/circulars/{cid}" in listed.text
    world.act(item_id, "withdraw", "bboss", "撤回")
    refused = zed.post(f"/admin/circulars/findings/{h2f}/note", {"text": "已整改"})
    assert refused.status_code == 409 and "该督查通报已撤销" in refused.text


def test_every_new_route_refuses_anonymous_and_other_units(app, world):
    api = world
    c = draft(api)
    publish(api, c)
    fid = finding_of(c, "H001", "feedback_overdue")["id"]
    calls = [("GET", "/circulars"), ("POST", "/circulars"), ("GET", f"/circulars/{c['id']}"),
             ("POST", f"/findings/{fid}/notes"), ("POST", f"/findings/{fid}/accept")]
    for method, path in calls:
        assert api.call(method, path, json={"text": "x"}).status_code == 401, path
    for method, path in calls[2:]:
        assert api.call(method, path, "outsider", json={"text": "x"}).status_code == 404, path
    assert api.call("GET", "/circulars", "outsider").get_json() == []
    anonymous, outsider = Staff(app), Staff(app, "outsider")
    pages = [("get", "/admin/circulars"), ("get", f"/admin/circulars/{c['id']}"),
             ("post", "/admin/compliance/circular"), ("post", f"/admin/circulars/findings/{fid}/note"),
             ("post", f"/admin/circulars/findings/{fid}/accept")]
    for method, path in pages:
        resp = getattr(anonymous.client, method)(path)
        assert resp.status_code == 302 and "/admin/login" in resp.location, path
    for method, path in pages[1:]:
        resp = outsider.get(path) if method == "get" else outsider.post(path, {"text": "x"})
        assert resp.status_code in (403, 404), (path, resp.status_code)
    assert outsider.post(f"/admin/circulars/findings/{fid}/note", {"text": "x"}).status_code == 404
    assert f"/admin/circulars/{c['id']}" not in outsider.get("/admin/circulars").text
