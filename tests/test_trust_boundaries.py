"""Issue 14, items 3–7, each written as the attack a curious outsider or a colleague would try, with
what it gets now: the catalog as ceiling, the two-person rule counting authorship, unit admins'
reach, unguessable tracking codes with a secret rating link and a rate-limited lookup, and
need-to-know for drafts. Every refusal is a 403/422 naming the field, stores nothing, and every
refusal of a privileged action and every override is in the audit chain."""
import re
from datetime import timedelta, timezone

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD
from server import db
from server.audit import verify
from server.hearing.models import Feedback
from server.instance import add_unit, create_user, find_unit
from server.models import AuditEntry, Item, User
from test_admin import Staff
from test_devices import Screen

CODE = re.compile(r"FK-\d{4}-[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}")
KEY = re.compile(r'name="k" value="([^"]+)"')


def audited(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        s = db.session()
        assert verify(s) == []                      # the chain is intact
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def count(app, model) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def add_staff(app, name: str, roles: list[str], unit: str = "H001") -> None:
    with app.app_context():
        s = db.session()
        create_user(s, name, PASSWORD, roles, find_unit(s, unit))
        s.commit()


# --- 3. the catalog is the ceiling ---------------------------------------------------------------

def test_a_contributor_cannot_publish_a_staff_only_category_to_the_public(api, app):
    items = count(app, Item)
    resp = api.call("POST", "/items", "alice", json={"category": "finance", "title": "财务收支（内部）",
                                                     "audiences": ["staff", "public"]})
    assert resp.status_code == 422
    assert "公开对象超出分类" in resp.get_json()["fields"]["audiences"] and "public" in resp.get_json()["fields"]["audiences"]
    steps = [{"audiences": ["staff"], "at": None}, {"audiences": ["patients"], "at": "2030-01-01T00:00:00+08:00"}]
    later = api.call("POST", "/items", "alice", json={"category": "finance", "title": "先内后外也不行",
                                                      "audiences": steps})
    assert later.status_code == 422 and "patients" in later.get_json()["fields"]["audiences"]
    assert count(app, Item) == items                                   # nothing stored
    refused = audited(app, "refused.item.create")
    assert len(refused) == 2 and refused[0].actor == "alice"
    narrower = api.create(category="prices", title="只给职工看的价格", audiences=["staff"])  # narrowing is fine
    assert narrower["audiences"] == [{"audiences": ["staff"], "at": None}]


def test_a_contributor_cannot_unmark_a_sensitive_category_or_widen_a_draft(api, app):
    resp = api.call("POST", "/items", "alice", json={"category": "cadre-appointments", "title": "干部任免",
                                                     "sensitive": False})
    assert resp.status_code == 422 and "敏感" in resp.get_json()["fields"]["sensitive"]
    draft = api.create(category="cadre-appointments", title="干部任免")
    assert draft["sensitive"] is True
    for change in ({"sensitive": False}, {"audiences": ["staff", "public"]}):
        bad = api.call("PATCH", f"/items/{draft['id']}", "alice", json={"version": draft["version"], **change})
        assert bad.status_code == 422 and set(bad.get_json()["fields"]) == set(change)
    again = api.call("GET", f"/items/{draft['id']}", "alice").get_json()
    assert (again["version"], again["sensitive"], again["audiences"]) == (draft["version"], True, draft["audiences"])
    moved = api.create(category="finance", title="挪到敏感分类")
    got = api.call("PATCH", f"/items/{moved['id']}", "alice", json={"version": moved["version"],
                                                                   "category": "dispute-outcomes"})
    assert got.status_code == 200 and got.get_json()["sensitive"] is True   # tightening needs nobody
    assert len(audited(app, "refused.item.edit")) == 2
    en = api.call("POST", "/items", "alice", json={"category": "finance", "title": "x", "audiences": ["public"]},
                  headers={"Accept-Language": "en"})
    assert "beyond those of the category" in en.get_json()["fields"]["audiences"]


def test_only_an_approver_overrides_with_a_reason_and_it_shows_in_the_history(api, app):
    draft = api.create(category="finance", title="年度财务收支（拟对外）")
    body = {"audiences": ["staff", "public"], "reason": "经院务会研究，年度收支向社会公开"}
    for user in ("alice", "bob", "carol", "root"):          # the contributor and everyone else: 403
        resp = api.call("POST", f"/items/{draft['id']}/override", user, json=body)
        assert resp.status_code == 403 and "审定人" in resp.get_json()["fields"]["override"]
    assert len(audited(app, "refused.item.override")) == 4
    no_reason = api.call("POST", f"/items/{draft['id']}/override", "dan", json={**body, "reason": " "})
    assert no_reason.status_code == 422 and "放宽理由" in no_reason.get_json()["fields"]["reason"]
    nothing = api.call("POST", f"/items/{draft['id']}/override", "dan", json={"audiences": ["staff"], "reason": "x"})
    assert nothing.status_code == 422 and "无需放宽" in nothing.get_json()["fields"]["audiences"]
    ok = api.call("POST", f"/items/{draft['id']}/override", "dan", json=body)
    assert ok.status_code == 200
    item = ok.get_json()
    assert item["override"]["audiences"] == ["public"] and item["override"]["by"] == "dan"
    assert [(h["action"], h["by"], h["comment"]) for h in item["history"]] == [("override", "dan", body["reason"])]
    [entry] = audited(app, "item.override")
    assert entry.actor == "dan" and "public" in entry.after
    edit = api.call("PATCH", f"/items/{draft['id']}", "alice", json={"version": item["version"], "title": "年度财务收支"})
    assert edit.status_code == 200                          # the override covers later edits of the draft
    done = api.publish(draft["id"])
    assert done["status"] == "published"
    assert "年度财务收支" in Screen(api, audiences=("public",)).titles()
    page = Staff(app, "dan").get(f"/admin/items/{draft['id']}").text
    assert "放宽目录限制" in page and body["reason"] in page


def test_unmarking_a_sensitive_item_is_the_approvers_override_not_the_contributors(api, app):
    draft = api.create(category="cadre-appointments", title="科室主任任免")
    staff = Staff(app, "dan")
    page = staff.get(f"/admin/items/{draft['id']}").text
    assert "action-override" in page
    resp = staff.post(f"/admin/items/{draft['id']}/override", {"audiences": ["staff"], "reason": ""})
    assert resp.status_code == 422 and "放宽理由：必填" in resp.text
    resp = staff.post(f"/admin/items/{draft['id']}/override", {"audiences": ["staff"], "reason": "已按一般事项审批"})
    assert resp.status_code == 302
    item = api.call("GET", f"/items/{draft['id']}", "alice").get_json()
    assert item["sensitive"] is False and item["override"]["unmark"] is True
    assert "action-override" not in Staff(app, "alice").get(f"/admin/items/{draft['id']}").text
    assert api.publish(draft["id"])["status"] == "published"   # one approval, as the override allows


# --- 4. authorship counts in the two-person rule -----------------------------------------------

def test_the_author_cannot_sign_off_when_someone_else_clicks_submit(api, app):
    draft = api.create(user="boss", title="院长办公会纪要")    # boss writes it (and holds every role)
    assert api.act(draft["id"], "submit", "alice").status_code == 200   # a colleague clicks submit
    item = api.call("GET", f"/items/{draft['id']}", "boss").get_json()
    assert "review" not in item["allowed_actions"]
    refused = api.act(draft["id"], "review", "boss")
    assert refused.status_code == 403 and refused.get_json()["code"] == "own_revision"
    assert "本人起草或修改" in refused.get_json()["fields"]["action"]
    assert api.act(draft["id"], "review", "bob").status_code == 200
    assert api.act(draft["id"], "clear", "boss").status_code == 403
    assert api.act(draft["id"], "clear", "carol").status_code == 200
    assert api.act(draft["id"], "approve", "boss").status_code == 403
    assert api.act(draft["id"], "approve", "dan").status_code == 200
    assert [e.actor for e in audited(app, "refused.item.review")] == ["boss"]
    assert len(audited(app, "refused.item.clear")) == len(audited(app, "refused.item.approve")) == 1


def test_the_last_editor_cannot_sign_off_either(api, app):
    draft = api.create(user="alice", title="门诊流程")
    edited = api.call("PATCH", f"/items/{draft['id']}", "boss", json={"version": draft["version"], "body": "改"})
    assert edited.status_code == 200
    api.act(draft["id"], "submit", "amy")
    assert api.act(draft["id"], "review", "boss").status_code == 403
    staff = Staff(app, "boss")
    page = staff.get(f"/admin/items/{draft['id']}").text
    assert "action-review" not in page
    resp = staff.act(draft["id"], "review")
    assert resp.status_code == 403 and "本人起草或修改" in resp.text


# --- 5. unit admins manage their own unit's grants only ----------------------------------------

@pytest.fixture
def bureau(app):
    """H001 under a county bureau whose 纪委 supervisor `jiwei` carries down; `both` holds roles in
    H001 and H002; `only` only in H001."""
    with app.app_context():
        s = db.session()
        bureau = add_unit(s, "BUREAU", "县卫生健康局")
        bureau.kind = "bureau"
        find_unit(s, "H001").parent = bureau
        create_user(s, "jiwei", PASSWORD, ["supervisor"], bureau)
        create_user(s, "both", PASSWORD, ["handler"], find_unit(s, "H001"))
        s.flush()
        both = s.scalar(select(User).where(User.username == "both"))
        from server.auth import set_roles
        set_roles(s, both, find_unit(s, "H002"), ["handler"])
        create_user(s, "only", PASSWORD, ["handler"], find_unit(s, "H001"))
        s.commit()
        return {u.username: u.id for u in s.scalars(select(User))}


def active(app, name) -> bool:
    with app.app_context():
        return db.session().scalar(select(User.active).where(User.username == name))


def test_a_hospital_admin_cannot_switch_off_the_bureaus_supervisor(app, bureau):
    admin = Staff(app, "root")
    listing = admin.get("/admin/users").text
    assert "jiwei" in listing and "BUREAU" in listing                  # listed, with where else it has roles
    resp = admin.post(f"/admin/users/{bureau['jiwei']}/active", {"active": "0"})
    assert resp.status_code == 403 and "其他单位（BUREAU）" in resp.text and "启用/停用" in resp.text
    assert active(app, "jiwei")
    [refused] = audited(app, "refused.user.deactivate")
    assert refused.actor == "root" and "BUREAU" in refused.after
    form = admin.get(f"/admin/users/{bureau['jiwei']}").text
    assert "由上级单位授予" in form and 'value="supervisor" checked' not in form
    admin.post(f"/admin/users/{bureau['jiwei']}", {})              # saving this unit's (no) roles …
    with app.app_context():
        jiwei = db.session().get(User, bureau["jiwei"])
        assert [(g.unit.code, g.role) for g in jiwei.grants] == [("BUREAU", "supervisor")]  # … leaves the bureau's


def test_an_account_with_roles_elsewhere_is_removed_from_this_unit_not_switched_off(app, bureau):
    admin = Staff(app, "root")
    assert admin.post(f"/admin/users/{bureau['both']}/active", {"active": "0"}).status_code == 403
    assert active(app, "both")
    assert admin.post(f"/admin/users/{bureau['both']}", {}).status_code == 302   # remove its roles here
    with app.app_context():
        both = db.session().get(User, bureau["both"])
        assert both.active and [(g.unit.code, g.role) for g in both.grants] == [("H002", "handler")]
    assert "both" not in admin.get("/admin/users").text
    assert admin.post(f"/admin/users/{bureau['only']}/active", {"active": "0"}).status_code == 302
    assert not active(app, "only")                         # an account of this unit alone: as before


# --- 6. unguessable tracking codes, the rating link, the lookup -----------------------------------

def send(client, phone="13800138000", addr="10.0.0.1"):
    key = KEY.search(client.get("/f/BOX1").text).group(1)
    page = client.post("/f/BOX1", data={"k": key, "kind": "complaint", "text": "排队太久", "phone": phone},
                       environ_base={"REMOTE_ADDR": addr}).text
    return CODE.search(page).group(0), re.search(r'id="rating-link">http://[^/]+(/t/[^<]+)<', page).group(1)


def answered(app, code):
    with app.app_context():
        s = db.session()
        fb = s.scalar(select(Feedback).where(Feedback.code == code))
        fb.status, fb.reply = "published", "已增开窗口"
        s.commit()


def test_neighbouring_codes_do_not_exist_and_another_persons_reply_cannot_be_rated(app, client, point):
    mine, _ = send(client)
    theirs, their_link = send(client, phone="13900139000")
    answered(app, theirs)
    for guess in (theirs[:-1] + ("A" if theirs[-1] != "A" else "B"), theirs[:8] + "000001",
                  mine[:-1] + ("2" if mine[-1] != "2" else "3")):
        assert client.get(f"/t/{guess}").status_code == 404
    assert client.post(f"/t/{theirs}/rate", data={"rating": "unsatisfied"}).status_code == 403
    forged = client.post(f"/t/{theirs}/rate", data={"rating": "unsatisfied", "key": "a" * 26})
    assert forged.status_code == 403 and "评价链接无效" in forged.text
    with app.app_context():
        assert db.session().scalar(select(Feedback.rating).where(Feedback.code == theirs)) is None
    key = their_link.split("key=")[1]
    assert client.post(f"/t/{theirs}/rate", data={"rating": "satisfied", "key": key}).status_code == 303
    with app.app_context():
        assert db.session().scalar(select(Feedback.rating).where(Feedback.code == theirs)) == "satisfied"


def test_the_lookup_by_phone_is_rate_limited_per_client_and_per_number(app, client, point):
    app.config["LOOKUP_RATE_LIMIT"] = 3
    code, _ = send(client)
    assert client.get(f"/t?code={code[-6:]}&last4=8000").status_code == 404   # half a code finds nothing
    with app.app_context():
        day = db.session().scalar(select(Feedback.received_at)).astimezone(timezone(timedelta(hours=8))).date()
    guesses = [client.get(f"/t?phone=1380013{n:04d}&date={day}", environ_base={"REMOTE_ADDR": "10.6.6.6"})
               for n in range(5)]
    assert [r.status_code for r in guesses] == [404, 404, 404, 429, 429]
    assert "查询过于频繁" in guesses[-1].text
    victim = [client.get(f"/t?phone=13800138000&date={day}", environ_base={"REMOTE_ADDR": f"10.7.0.{n}"})
              for n in range(5)]                          # one number, many addresses
    assert [r.status_code for r in victim][:3] == [302, 302, 302] and victim[3].status_code == 429


# --- 7. need-to-know for drafts -------------------------------------------------------------------

def test_a_handler_cannot_list_sensitive_or_party_drafts(api, app):
    add_staff(app, "hank", ["handler"])
    add_staff(app, "wendy", ["admin", "handler"])
    sensitive = api.create(category="cadre-appointments", title="拟任干部名单（草稿）")
    party = api.create(category="party-dues", title="党费收缴情况（草稿）")
    marked = api.create(category="finance", title="个别敏感财务事项", sensitive=True)
    ordinary = api.create(category="prices", title="普通价格草稿")
    hidden = {sensitive["id"], party["id"], marked["id"]}
    for outsider in ("hank", "wendy", "amy"):       # a handler, an admin, a contributor who did not write them
        listed = {i["id"] for i in api.call("GET", "/items", outsider).get_json()}
        assert not listed & hidden and ordinary["id"] in listed, outsider
        for item_id in hidden:
            assert api.call("GET", f"/items/{item_id}", outsider).status_code == 404
        html = Staff(app, outsider).get("/admin/items").text
        assert "拟任干部名单" not in html and "党费收缴" not in html and "普通价格草稿" in html
    for insider in ("alice", "bob", "carol", "dan", "sue"):   # author, reviewer, confidentiality, approver, 纪委
        listed = {i["id"] for i in api.call("GET", "/items", insider).get_json()}
        assert hidden <= listed, insider
    api.publish(sensitive["id"], sensitive=True)            # published: visible to the unit's staff again
    assert api.call("GET", f"/items/{sensitive['id']}", "hank").status_code == 200
