"""公开承诺 / 践诺 / 评诺 over the real app and a real SQLite file: the API, the workflow each update
goes through, what the published body (what screens get) shows, ratings from the phone form, the
台账 CSV, overdue, roles and bad input."""
import csv
import io
import re
from datetime import date, timedelta

from server import db
from server.commitments.models import Commitment, CommitmentRating
from server.hearing.models import FeedbackPoint
from server.instance import find_unit

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

FLOW = [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")]
NEW = {"title": "内科党支部 2026 年公开承诺", "pledge": "门诊候诊时间缩短到 30 分钟以内。",
       "committer_kind": "party_branch", "committer": "内科党支部", "due_date": "2026-12-31"}


def make(api, user="alice", **fields):
    resp = api.call("POST", "/commitments", user, json={**NEW, **fields})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def run(api, item_id, steps=FLOW):
    for action, user in steps:
        resp = api.act(item_id, action, user)
        assert resp.status_code == 200, (action, resp.get_json())
    return resp.get_json()


def item(api, item_id):
    return api.call("GET", f"/items/{item_id}", "sue").get_json()


def published_body(api, item_id):
    """The body of the revision screens show now (the live one), from the item's history."""
    it = item(api, item_id)
    live = it["published_revision"]
    assert live is not None
    with api.client.application.app_context():
        from server.models import Item
        rev = next(r for r in db.session().get(Item, item_id).revisions if r.number == live)
        return rev.body


def progress(api, cid, user="alice", **fields):
    return api.call("POST", f"/commitments/{cid}/progress", user,
                    json={"text": "新增自助挂号机 4 台", "percent": 40, "on_date": "2026-03-01", **fields})


def test_create_is_a_draft_item_of_kind_commitment(api):
    c = make(api)
    it = item(api, c["item"])
    assert it["kind"] == "commitment" and it["status"] == "draft" and it["category"] == "commitments"
    assert "内科党支部（党支部）" in it["body"] and "2026-12-31" in it["body"] and "暂无进展" in it["body"]
    assert c["status"] == "ongoing" and c["published_revision"] is None and c["updates"] == []


def test_progress_is_a_new_revision_shown_only_after_approval(api):
    c = make(api)
    assert progress(api, c["id"]).status_code == 409  # not published yet
    run(api, c["item"])
    assert "暂无进展" in published_body(api, c["item"])
    resp = progress(api, c["id"])
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["updates"][0]["revision"] == 2 and body["updates"][0]["revision_status"] == "draft"
    assert body["updates"][0]["approved_at"] is None
    it = item(api, c["item"])
    assert it["revision"] == 2 and it["status"] == "draft" and it["published_revision"] == 1
    assert "新增自助挂号机" in it["body"]
    assert "新增自助挂号机" not in published_body(api, c["item"])  # screens still show revision 1
    assert progress(api, c["id"], text="第二条").status_code == 409  # one update in the workflow at a time
    run(api, c["item"], FLOW[:3])
    assert "新增自助挂号机" not in published_body(api, c["item"])  # cleared is not approved
    run(api, c["item"], FLOW[3:])
    body = published_body(api, c["item"])
    assert re.search(r"\| 2026-03-01 \| 新增自助挂号机 4 台 \| 40% \|", body)
    got = api.call("GET", f"/commitments/{c['id']}", "sue").get_json()
    assert got["updates"][0]["approved_at"] is not None and got["published_revision"] == 2
    notices = [i for i in api.call("GET", "/items", "sue").get_json() if i["kind"] == "notice"]
    assert notices == []  # a progress update is not a correction: no 更正说明 is published


def test_rejected_update_stays_off_screens_and_later_updates_list_in_order(api):
    c = make(api)
    run(api, c["item"])
    assert progress(api, c["id"], text="第一阶段", percent=30, on_date="2026-02-01").status_code == 201
    run(api, c["item"])
    path = f"/commitments/{c['id']}/progress"
    assert api.call("PATCH", path, "alice", json={"text": "改"}).status_code == 409  # nothing in draft
    assert progress(api, c["id"], text="第二阶段", percent="", milestone="完成改造",
                    on_date="2026-04-01").status_code == 201
    run(api, c["item"], FLOW[:1])
    assert api.call("PATCH", path, "alice", json={"text": "改"}).status_code == 409  # submitted: locked
    assert api.act(c["item"], "reject", "bob", "请补充数据").status_code == 200
    assert "第二阶段" not in published_body(api, c["item"])
    assert api.call("PATCH", path, "bob", json={"text": "改"}).status_code == 403
    assert api.call("PATCH", path, "alice", json={"text": "", "percent": 500}).status_code == 422
    resp = api.call("PATCH", path, "alice", json={"text": "第二阶段：改造 12 间诊室", "milestone": "完成改造",
                                                  "on_date": "2026-04-01"})
    assert resp.status_code == 200 and resp.get_json()["updates"][1]["text"] == "第二阶段：改造 12 间诊室"
    assert "第二阶段：改造 12 间诊室" in item(api, c["item"])["body"]
    run(api, c["item"])
    body = published_body(api, c["item"])
    assert body.index("第一阶段") < body.index("第二阶段：改造 12 间诊室") and "| 完成改造 |" in body


def test_close_by_reviewer_or_approver_only(api):
    c = make(api)
    run(api, c["item"])
    data = {"outcome": "fulfilled", "note": "候诊时间已降至 25 分钟"}
    assert api.call("POST", f"/commitments/{c['id']}/close", "alice", json=data).status_code == 403
    assert api.call("POST", f"/commitments/{c['id']}/close", "sue", json=data).status_code == 403
    resp = api.call("POST", f"/commitments/{c['id']}/close", "bob", json=data)
    assert resp.status_code == 200 and resp.get_json()["status"] == "fulfilled"
    assert "兑现情况：进行中" in published_body(api, c["item"])  # screens follow after approval
    # bob wrote the closing revision, so another reviewer reviews it (nobody reviews their own)
    assert api.act(c["item"], "submit", "alice").status_code == 200
    assert api.act(c["item"], "review", "bob").status_code == 403
    run(api, c["item"], [("review", "boss"), ("clear", "carol"), ("approve", "dan")])
    body = published_body(api, c["item"])
    assert "兑现情况：已兑现" in body and "| 100% · 已兑现 |" in body
    again = api.call("POST", f"/commitments/{c['id']}/close", "dan", json=data)
    assert again.status_code == 409 and "已有兑现结论" in again.get_json()["error"]
    assert progress(api, c["id"]).status_code == 409


def test_overdue_filter_and_flag(api):
    late = make(api, committer="医务科", committer_kind="department",
                due_date=(date.today() - timedelta(days=3)).isoformat())
    make(api)
    rows = api.call("GET", "/commitments?overdue=1", "sue").get_json()
    assert [r["id"] for r in rows] == [late["id"]] and rows[0]["overdue"] is True
    assert len(api.call("GET", "/commitments?committer=内科党支部", "sue").get_json()) == 1
    assert len(api.call("GET", "/commitments?status=ongoing", "sue").get_json()) == 2
    assert api.call("GET", "/commitments?status=done", "sue").status_code == 422


def test_roles_and_units(api):
    c = make(api)
    assert api.call("POST", "/commitments", "bob", json=NEW).status_code == 403
    assert api.call("POST", "/commitments", "sue", json=NEW).status_code == 403
    assert api.call("GET", "/commitments", None).status_code == 401
    assert api.call("GET", f"/commitments/{c['id']}", "zed").status_code == 404  # another unit's
    assert api.call("GET", "/commitments?unit=H001", "zed").status_code == 403
    run(api, c["item"])
    assert progress(api, c["id"], user="bob").status_code == 403
    assert progress(api, c["id"], user="zed").status_code == 404
    assert api.call("GET", "/commitments", "sue").status_code == 200  # supervisors read everything


BAD_COMMITMENTS = [
    ({"committer_kind": "team"}, "committer_kind", "党支部"),
    ({"due_date": "2026-13-40"}, "due_date", "YYYY-MM-DD"),
    ({"due_date": 20261231}, "due_date", "YYYY-MM-DD"),
    ({"title": " "}, "title", "必填"),
    ({"committer": "x" * 101}, "committer", "最多 100"),
    ({"pledge": ""}, "pledge", "必填"),
    ({"category": "nope"}, "category", "没有此分类"),
]
BAD_PROGRESS = [({"text": ""}, "text"), ({"percent": 101}, "percent"), ({"percent": "许多"}, "percent"),
                ({"percent": True}, "percent"), ({"on_date": "昨天"}, "on_date"),
                ({"milestone": "m" * 101}, "milestone")]


def test_bad_commitment_input_stores_nothing(api):
    for fields, field, text in BAD_COMMITMENTS:
        resp = api.call("POST", "/commitments", "alice", json={**NEW, **fields})
        assert resp.status_code == 422, fields
        body = resp.get_json()
        assert text in body["fields"][field] and body["error"] == "提交的内容有误", body
    with api.client.application.app_context():
        assert db.session().query(Commitment).count() == 0
    assert api.call("GET", "/items", "sue").get_json() == []


def test_bad_progress_input_changes_nothing(api):
    c = make(api)
    run(api, c["item"])
    for fields, field in BAD_PROGRESS:
        resp = progress(api, c["id"], **fields)
        assert resp.status_code == 422 and field in resp.get_json()["fields"], fields
    assert item(api, c["item"])["revision"] == 1


def test_bad_json_and_close_input(api):
    assert api.call("POST", "/commitments", "alice", data="x", content_type="application/json").status_code == 400
    c = make(api)
    resp = api.call("POST", f"/commitments/{c['id']}/close", "bob", json={"outcome": "done", "note": ""})
    assert resp.status_code == 422 and set(resp.get_json()["fields"]) == {"outcome", "note"}


# --- the phone form: 评诺 ---------------------------------------------------------------------

KEY = re.compile(r'action="/f/BOX1/pledge[^"]*">\s*<input type="hidden" name="k" value="([^"]+)"')


def with_point(app):
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="党员活动室"))
        s.commit()


def rate(client, item_id, rating, key=None):
    page = client.get(f"/f/BOX1?item={item_id}").text
    key = key or KEY.search(page).group(1)
    return client.post(f"/f/BOX1/pledge?item={item_id}", data={"k": key, "rating": rating}), key


def test_public_rating_only_beside_a_published_commitment(app, api, client):
    with_point(app)
    c = make(api)
    assert "评诺" not in client.get(f"/f/BOX1?item={c['item']}").text  # a draft is not public
    assert client.post(f"/f/BOX1/pledge?item={c['item']}", data={"rating": "satisfied"}).status_code == 404
    plain = api.create()
    run(api, plain["id"])
    assert "评诺" not in client.get(f"/f/BOX1?item={plain['id']}").text  # not a commitment
    run(api, c["item"])
    page = client.get(f"/f/BOX1?item={c['item']}")
    assert "评诺：您对承诺兑现情况满意吗？" in page.text and len(page.data) <= 30 * 1024
    assert "<script" not in page.text
    assert "Rate this commitment" in client.get(f"/f/BOX1?item={c['item']}&lang=en").text


def test_ratings_are_counted_once_per_key(app, api, client):
    with_point(app)
    c = make(api)
    run(api, c["item"])
    resp, key = rate(client, c["item"], "satisfied")
    assert resp.status_code == 303 and "rated=1" in resp.location
    assert "已收到您的评价" in client.get(resp.location).text
    assert rate(client, c["item"], "satisfied", key)[0].status_code == 303  # a double submit
    rate(client, c["item"], "basic")
    rate(client, c["item"], "unsatisfied")
    bad, _ = rate(client, c["item"], "great")
    assert bad.status_code == 422 and "请选择 满意、基本满意 或 不满意" in bad.text
    assert client.post(f"/f/BOX1/pledge?item={c['item']}", data={"rating": "basic"}).status_code == 400
    got = api.call("GET", f"/commitments/{c['id']}", "sue").get_json()["ratings"]
    assert (got["satisfied"], got["basic"], got["unsatisfied"], got["total"], got["pct"]) == (1, 1, 1, 3, 66.7)
    with app.app_context():
        rows = db.session().query(CommitmentRating).all()
        assert len(rows) == 3 and {r.screen_code for r in rows} == {"BOX1"}


# --- staff UI and the 台账 --------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def staff(app, username):
    client = app.test_client()
    token = TOKEN.search(client.get("/admin/login").text).group(1)
    resp = client.post("/admin/login", data={"username": username, "password": "secret-pass-1",
                                             "csrf_token": token})
    assert resp.status_code == 302
    return client


def post(client, path, data):
    token = TOKEN.search(client.get("/admin/").text).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def test_admin_pages_create_progress_and_roles(app, api):
    alice, bob, sue = staff(app, "alice"), staff(app, "bob"), staff(app, "sue")
    assert "公开承诺" in alice.get("/admin/").text
    bad = post(alice, "/admin/commitments/new", {**NEW, "committer_kind": "", "due_date": "明年"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text and "党支部" in bad.text
    resp = post(alice, "/admin/commitments/new", NEW)
    assert resp.status_code == 302
    cid = int(resp.location.rsplit("/", 1)[1])
    assert post(bob, "/admin/commitments/new", NEW).status_code == 403
    page = alice.get(f"/admin/commitments/{cid}").text
    assert "承诺尚未公开" in page and "登记践诺进展" not in page
    item_id = api.call("GET", f"/commitments/{cid}", "sue").get_json()["item"]
    run(api, item_id)
    page = alice.get(f"/admin/commitments/{cid}").text
    assert "登记践诺进展" in page and "作出兑现结论" not in page
    assert "作出兑现结论" in bob.get(f"/admin/commitments/{cid}").text
    english = alice.get(f"/admin/commitments/{cid}?lang=en").text
    assert "Add progress" in english and "Commitments" in english
    alice.get("/admin/commitments?lang=zh")
    assert "登记践诺进展" not in sue.get(f"/admin/commitments/{cid}").text
    err = post(alice, f"/admin/commitments/{cid}/progress", {"text": "", "percent": "200"})
    assert err.status_code == 422 and "0–100" in err.text
    ok = post(alice, f"/admin/commitments/{cid}/progress", {"text": "完成分诊改造", "percent": "60",
                                                           "on_date": "2026-05-01", "milestone": ""})
    assert ok.status_code == 302 and ok.location.endswith(f"/admin/items/{item_id}")
    page = alice.get(f"/admin/commitments/{cid}").text
    assert "修改待提交的践诺进展" in page and "完成分诊改造" in page
    edit = post(alice, f"/admin/commitments/{cid}/progress/edit", {"text": "完成分诊台改造", "percent": "65",
                                                                  "on_date": "2026-05-02"})
    assert edit.status_code == 302
    assert "| 2026-05-02 | 完成分诊台改造 | 65% |" in item(api, item_id)["body"]
    assert post(sue, f"/admin/commitments/{cid}/close", {"outcome": "fulfilled", "note": "x"}).status_code == 403
    listing = sue.get("/admin/commitments?status=ongoing").text
    assert "内科党支部 2026 年公开承诺" in listing and "草稿" in listing
    assert "内科党支部 2026 年公开承诺" not in sue.get("/admin/commitments?overdue=1").text
    zed = staff(app, "zed")
    assert zed.get(f"/admin/commitments/{cid}").status_code == 404


def test_ledger_csv_and_printable_page(app, api):
    c = make(api)
    run(api, c["item"])
    assert progress(api, c["id"], text="第一阶段, 含逗号", percent=30, on_date="2026-02-01").status_code == 201
    run(api, c["item"])
    assert progress(api, c["id"], text="第二阶段", percent=70, on_date="2026-06-01").status_code == 201
    late = make(api, title="医务科 门诊预约承诺", committer="医务科", committer_kind="department",
                due_date="2020-01-31")
    with_point(app)
    rate(app.test_client(), c["item"], "satisfied")
    sue = staff(app, "sue")
    resp = sue.get("/admin/commitments/ledger.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["承诺编号", "事项编号", "记录"]
    mine = [r for r in rows[1:] if r[0] == str(c["id"])]
    assert [r[2] for r in mine] == ["承诺", "践诺", "践诺"]
    assert mine[0][14:18] == ["1", "0", "0", "100.0%"] and mine[0][4] == "内科党支部"
    assert mine[1][9:13] == ["2026-02-01", "第一阶段, 含逗号", "30%", "已审定"] and mine[1][13]
    assert mine[2][12:14] == ["草稿", ""]
    overdue = [r for r in rows[1:] if r[0] == str(late["id"])]
    assert overdue[0][8] == "是" and overdue[0][3] == "科室"
    assert api.call("GET", "/commitments/ledger.csv", "sue").data == resp.data
    page = sue.get("/admin/commitments/ledger").text
    assert "公开承诺台账" in page and "第一阶段, 含逗号" in page and "已审定" in page and "逾期" in page
    assert staff(app, "zed").get("/admin/commitments/ledger.csv").data.count(b"\n") == 1  # H002: header only


def test_demo_commitments(app):
    """The demo's commitments (seeded with the demo's own accounts, without the rest of the demo)."""
    from server.commitments import pledges
    from server.demo import content as demo
    from server.instance import create_user
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        for name, _, roles, _ in demo.STAFF[:4]:
            create_user(s, name, demo.PASSWORD, roles.split(","), unit, check_strength=False)
        s.commit()
        demo._seed_commitments(s, unit)
        rows = {c.committer_kind: c for c in pledges.unit_commitments(s, unit)}
        branch, dept = rows["party_branch"], rows["department"]
        assert [u.revision.status for u in branch.updates] == ["superseded", "published"]
        assert all(u.revision.published_at for u in branch.updates)
        live = branch.item.revisions[-1]
        assert live.status == "published" and all(u.text in live.body for u in branch.updates)
        assert pledges.is_overdue(dept) and not pledges.is_overdue(branch)
        assert dept.item.revisions[-1].status == "published"
        assert pledges.rating_counts(s, [branch.id])[branch.id]["total"] == 5


def test_whole_loop_on_postgres(pg_app):
    """Create → approve → 践诺 → approve → 评诺 (a repeated key counted once) on PostgreSQL too."""
    from conftest import Api
    api, client = Api(pg_app.test_client()), pg_app.test_client()
    c = make(api)
    run(api, c["item"])
    assert progress(api, c["id"]).status_code == 201
    run(api, c["item"])
    assert "| 2026-03-01 | 新增自助挂号机 4 台 | 40% |" in item(api, c["item"])["body"]
    with_point(pg_app)
    _, key = rate(client, c["item"], "basic")
    assert rate(client, c["item"], "basic", key)[0].status_code == 303
    got = api.call("GET", f"/commitments/{c['id']}", "sue").get_json()
    assert got["ratings"]["total"] == 1 and got["updates"][0]["approved_at"]
