"""The staff flow around publishing, through the admin UI with Flask's test client: files on the create
form, who acts next, and 审定通过 shown first — a preview and the screens it will reach, counted by the
feed's own rule and checked here against the real signed feeds of real enrolled screens — then, once
confirmed, where it went."""
import io
import re

import pytest
from sqlalchemy import select

from server import db
from server.instance import add_unit, create_user, find_unit
from server.models import Item, Revision
from server.screens.device_feed import screens_for
from test_admin import png_bytes, staff  # noqa: F401 (the staff fixture)
from test_devices import Screen
from test_uploads import make_pdf

BACKENDS = ("sqlite", "postgres")
PRICES = "项目编码,项目名称,计价单位,价格（元）\n250101001,血常规,项,20.00\n250102001,尿常规,项,10.00\n"


def newest(app, item_id) -> Revision:
    with app.app_context():
        item = db.session().get(Item, item_id)
        rev = item.revisions[-1]
        db.session().expunge_all()
        return rev


def to_cleared(api, item_id):
    for action, user in [("submit", "alice"), ("review", "bob"), ("clear", "carol")]:
        assert api.act(item_id, action, user).status_code == 200


def next_line(page: str) -> str:
    """The item page's 下一步 line as text."""
    found = re.search(r'id="next-step">(.*?)</p>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def carried(screen, item_id) -> bool:
    return any(i["id"] == item_id for i in screen.manifest()["items"])


# --- files on the create form -----------------------------------------------------------------

def test_the_create_form_takes_a_table_images_and_a_pdf(app, staff):
    page = staff("alice").get("/admin/items/new").text
    assert 'name="table"' in page and 'name="image"' in page and "multiple" in page
    assert "Markdown" not in page and "排版说明" in page
    resp = staff("alice").post("/admin/items/new", {
        "category": "prices", "title": "检查检验价格", "table": (io.BytesIO(PRICES.encode("gbk")), "价格.csv"),
        "image": [(io.BytesIO(png_bytes()), "楼层.png"), (io.BytesIO(make_pdf(2)), "说明.pdf")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    item_id = int(resp.location.rsplit("/", 1)[1])
    rev = newest(app, item_id)
    assert rev.table["columns"][1] == "项目名称" and len(rev.table["rows"]) == 2
    with app.app_context():
        names = [a.filename for a in db.session().get(Item, item_id).revisions[-1].attachments]
    assert names == ["楼层.png", "说明.pdf #1", "说明.pdf #2"]


@pytest.mark.parametrize("field, data, name, message", [
    ("table", b"name,price\nCT,300\nMRI\n", "p.csv", "第 3 行"),
    ("image", b"not an image", "x.png", "图片无效"),
    ("image", b"%PDF-1.4 broken", "x.pdf", "PDF 无法打开"),
])
def test_a_bad_file_or_field_on_the_create_form_creates_nothing(app, staff, field, data, name, message):
    files = {field: (io.BytesIO(data), name)}
    resp = staff("alice").post("/admin/items/new", {"category": "prices", "title": " ", **files},
                               content_type="multipart/form-data")
    assert resp.status_code == 422 and message in resp.text and "必填" in resp.text
    with app.app_context():
        assert db.session().scalar(select(Item).limit(1)) is None


def test_good_files_on_a_form_that_failed_must_be_chosen_again(app, staff):
    resp = staff("alice").post("/admin/items/new", {
        "category": "prices", "title": "", "table": (io.BytesIO(PRICES.encode()), "p.csv"),
        "image": (io.BytesIO(png_bytes()), "a.png")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.text.count("所选文件需要重新选择") == 2
    with app.app_context():
        assert db.session().scalar(select(Item).limit(1)) is None


# --- who acts next ------------------------------------------------------------------------------

def test_the_item_page_says_who_acts_next(app, api, staff):
    item = api.create(sensitive=True)
    assert next_line(staff("alice").get(f"/admin/items/{item['id']}").text) == "下一步：提交审核 · alice、amy、boss 轮到您了"
    expected = [("submit", "alice", "审议通过 · bob、boss"), ("review", "bob", "保密审查通过 · boss、carol"),
                ("clear", "carol", "审定通过 · boss、dan、erin"), ("approve", "dan", "再审定通过 · boss、erin")]
    for action, user, shown in expected:   # the submitter and, for 再审定, the first approver drop out
        assert api.act(item["id"], action, user).status_code == 200
        assert next_line(staff("alice").get(f"/admin/items/{item['id']}").text) == "下一步：" + shown
    assert api.act(item["id"], "escalate", "erin").status_code == 200
    assert 'id="next-step"' not in staff("alice").get(f"/admin/items/{item['id']}").text
    mine = api.create(user="boss")
    api.act(mine["id"], "submit", "boss")
    assert next_line(staff("bob").get(f"/admin/items/{mine['id']}").text) == "下一步：审议通过 · bob 轮到您了"


def test_nobody_who_may_act_is_said_plainly(app, api, staff):
    item = api.create()
    with app.app_context():   # the only reviewer leaves
        from server.models import User
        s = db.session()
        s.scalar(select(User).where(User.username == "bob")).active = False
        s.scalar(select(User).where(User.username == "boss")).active = False
        s.commit()
    api.act(item["id"], "submit", "alice")
    assert "目前没有可办理的人员（需要公开办审议角色" in staff("alice").get(f"/admin/items/{item['id']}").text


# --- 审定通过: preview, confirmation, where it went --------------------------------------------------

@pytest.fixture
def screens(app, api):
    """Five screens: two that carry a patients/public item of H001, one for staff only, one revoked,
    one of another hospital."""
    with app.app_context():
        s = db.session()
        create_user(s, "root2", "secret-pass-1", ["admin"], find_unit(s, "H002"))
        s.commit()
    lobby = Screen(api, kind="kiosk", audiences=("public", "patients"))
    hall = Screen(api, kind="signage", audiences=("patients",), w=1920, h=1080)
    api.call("PATCH", f"/devices/{hall.id}", "root", json={"groups": ["大厅"], "name": "门诊大厅信息屏"})
    staff_only = Screen(api, kind="signage", audiences=("staff",), w=1920, h=1080)
    gone = Screen(api, kind="kiosk", audiences=("public",))
    assert api.call("POST", f"/devices/{gone.id}/revoke", "root").status_code == 200
    resp = api.client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}})
    other_id = resp.get_json()["device_id"]
    assert api.call("POST", f"/devices/{other_id}/approve", "root2",
                    json={"name": "二院大厅", "audiences": ["public", "patients"]}).status_code == 200
    return {"lobby": lobby, "hall": hall, "staff_only": staff_only, "gone": gone, "other": other_id}


def test_approval_is_previewed_then_confirmed_and_says_where_it_went(app, api, staff, screens):
    item = api.create(title="2026 年检查检验价格", audiences=["patients", "public"],
                      signage={"enabled": True, "slide": "auto", "groups": ["大厅"]})
    to_cleared(api, item["id"])
    preview = staff("dan").act(item["id"], "approve", comment="同意公开", confirmed=False)
    page = re.sub(r"\s+", " ", preview.text)
    assert preview.status_code == 200 and "审定通过前请确认" in page
    assert "<strong>2 块屏幕</strong>" in page and "触摸查询机 1 块，信息发布屏 1 块，其中 1 块信息屏轮播此事项" in page
    assert "门诊大厅信息屏" in page and "二院大厅" not in page
    assert 'id="ap-audiences">患者、公众<' in page and "同意公开</textarea>" in page
    assert 'class="pv-frame pv-kiosk"' in page and 'class="pv-frame pv-signage"' in page and "phone-frame" in page
    assert 'name="confirmed" value="1"' in page
    assert newest(app, item["id"]).status == "cleared"          # looking changes nothing
    for name in ("lobby", "hall"):
        assert not carried(screens[name], item["id"])

    done = staff("dan").act(item["id"], "approve", comment="同意公开")
    assert done.status_code == 302 and newest(app, item["id"]).status == "published"
    page = staff("dan").get(done.location).text
    assert "已公开，已推送到 2 块屏幕。" in page and "已推送到 2 块屏幕</h2>" in page
    code = api.call("GET", "/devices", "root").get_json()
    lobby_code = next(d["screen_code"] for d in code if d["device_id"] == screens["lobby"].id)
    assert f'href="http://127.0.0.1:8080/f/{lobby_code}?item={item["id"]}"' in page
    assert carried(screens["lobby"], item["id"]) and carried(screens["hall"], item["id"])
    assert not carried(screens["staff_only"], item["id"])
    hall_feed = screens["hall"].manifest()
    assert [e["item"] for e in hall_feed["playlist"]] == [item["id"]]


def test_a_sensitive_item_says_a_second_approval_follows(app, api, staff, screens):
    item = api.create(title="干部任前公示", sensitive=True)
    to_cleared(api, item["id"])
    page = staff("dan").act(item["id"], "approve", confirmed=False).text
    assert "还需要另一位领导再审定通过才会公开" in page
    assert staff("dan").act(item["id"], "approve").status_code == 302
    after = staff("dan").get(f"/admin/items/{item['id']}").text
    assert newest(app, item["id"]).status == "approved" and "已推送到" not in after
    preview = staff("erin").act(item["id"], "escalate", confirmed=False).text
    assert "再审定通过前请确认" in preview and "还需要另一位领导" not in preview
    assert staff("erin").act(item["id"], "escalate").status_code == 302
    assert newest(app, item["id"]).status == "published"


def test_only_those_who_may_approve_see_the_preview(app, api, staff, screens):
    item = api.create()
    to_cleared(api, item["id"])
    for user in ("alice", "bob", "sue"):   # no approver role: refused, not previewed
        resp = staff(user).act(item["id"], "approve", confirmed=False)
        assert resp.status_code == 403 and "审定通过前请确认" not in resp.text
    assert newest(app, item["id"]).status == "cleared"


def test_screens_counted_are_the_screens_whose_feed_carries_it(app, api, screens):
    """screens_for() against the real signed feeds, for items of a hospital and of its county bureau
    with every kind of audience plan, 先内后外 included."""
    with app.app_context():
        s = db.session()
        bureau = add_unit(s, "B001", "县卫生健康局", kind="bureau")
        find_unit(s, "H001").parent_id = bureau.id
        for name, role in [("bu_c", "contributor"), ("bu_r", "reviewer"), ("bu_s", "confidentiality"),
                           ("bu_a", "approver")]:
            create_user(s, name, "secret-pass-1", [role], bureau)
        s.commit()
    steps = {"H001": [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")],
             "B001": [("submit", "bu_c"), ("review", "bu_r"), ("clear", "bu_s"), ("approve", "bu_a")]}
    plans = [["patients"], ["public"], ["staff"], ["party"], ["patients", "staff"],
             [{"audiences": ["staff"], "at": None}, {"audiences": ["public"], "at": "2030-01-01T00:00:00+08:00"}]]
    ids = []
    for unit in ("H001", "B001"):
        for plan in plans:
            wider = plan == ["party"]           # beyond the category: the approver widens it, with a reason
            body = {"unit": unit, "category": "prices", "title": f"{unit} {plan}", **({} if wider else {"audiences": plan})}
            resp = api.call("POST", "/items", steps[unit][0][1], json=body)
            assert resp.status_code == 201, resp.get_json()
            ids.append(resp.get_json()["id"])
            if wider:
                resp = api.call("POST", f"/items/{ids[-1]}/override", steps[unit][3][1],
                                json={"audiences": plan, "reason": "党务公开，仅党员"})
                assert resp.status_code == 200, resp.get_json()
            for action, who in steps[unit]:
                assert api.act(ids[-1], action, who).status_code == 200, (unit, action)
    live = [screens[k] for k in ("lobby", "hall", "staff_only")]
    with app.app_context():
        s = db.session()
        for item_id in ids:
            counted = {d.id for d in screens_for(s, s.get(Item, item_id).revisions[-1])}
            assert counted == {sc.id for sc in live if carried(sc, item_id)}, item_id
            assert screens["gone"].id not in counted and screens["other"] not in counted
    assert any(carried(screens["lobby"], i) for i in ids[len(plans):])   # a bureau item reached H001


def test_create_and_submit_in_one_step(app, staff):
    resp = staff("alice").post("/admin/items/new", {"category": "prices", "title": "门诊收费标准", "then": "submit"})
    assert resp.status_code == 302
    item_id = int(resp.location.rsplit("/", 1)[1])
    assert newest(app, item_id).status == "submitted"
    page = staff("alice").get(resp.location).text
    assert "已办理：提交审核" in page and "下一步：</strong>审议通过" in page
    kept = staff("alice").post("/admin/items/new", {"category": "prices", "title": "仅保存"})
    assert newest(app, int(kept.location.rsplit("/", 1)[1])).status == "draft"


def test_the_preview_opens_from_the_queue_for_the_approver_only(app, api, staff):
    item = api.create(title="待审定的价格表")
    to_cleared(api, item["id"])
    queue = staff("dan").get("/admin/").text
    link = f'/admin/items/{item["id"]}/confirm/approve'
    assert f'href="{link}">审定通过…' in queue
    preview = staff("dan").get(link)
    assert preview.status_code == 200 and "审定通过前请确认" in preview.text
    assert newest(app, item["id"]).status == "cleared"
    for user in ("alice", "bob"):
        refused = staff(user).get(link)
        assert refused.status_code == 302 and refused.location.endswith(f"/admin/items/{item['id']}")
        assert "这一步现在不由您办理" in staff(user).get(refused.location).text
    assert staff("dan").get(f'/admin/items/{item["id"]}/confirm/review').status_code == 302
    assert staff("zed").get(link).status_code == 404          # another hospital's item
