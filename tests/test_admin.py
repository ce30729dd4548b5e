"""The staff HTML UI (/admin) through Flask's test client: login, CSRF, the workflow through forms,
form errors in Chinese, uploads, catalog and user administration, language switch, escaping."""
import io
import re
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from conftest import PASSWORD
from server import db
from server.models import AuditEntry, Item, User

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Staff:
    """One person's browser session against the admin UI."""

    def __init__(self, app, username=None):
        self.client = app.test_client()
        if username:
            self.login(username)

    def token(self, html: str | None = None) -> str:
        html = html if html is not None else self.client.get("/admin/login").text
        return TOKEN.search(html).group(1)

    def login(self, username, password=PASSWORD):
        resp = self.client.post("/admin/login", data={"username": username, "password": password,
                                                      "csrf_token": self.token()})
        assert resp.status_code == 302, resp.text
        return resp

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token(self.client.get("/admin/").text))
        return self.client.post(path, data=data, **kw)

    def create(self, **fields):
        data = {"category": "prices", "title": "CT 检查价格", "body": "# 价格\n\n**CT** 300 元"}
        data.update(fields)
        resp = self.post("/admin/items/new", data)
        assert resp.status_code == 302, resp.text
        return int(resp.location.rstrip("/").rsplit("/", 1)[1])

    def act(self, item_id, action, comment="同意", confirmed=True):
        """Take an action as its button would; 审定通过 and 再审定通过 are confirmed on their preview page."""
        data = {"action": action, "comment": comment}
        if confirmed and action in ("approve", "escalate"):
            data["confirmed"] = "1"
        return self.post(f"/admin/items/{item_id}/actions", data)

    def edit_form(self, item_id):
        """The hidden version and the ticked audiences, as a browser would send them back."""
        html = self.get(f"/admin/items/{item_id}/edit").text
        return {"version": re.search(r'name="version" value="(\d+)"', html).group(1),
                "audiences": re.findall(r'name="audiences" value="(\w+)" checked', html)}

    def edit(self, item_id, **fields):
        data = {"category": "prices", "title": "CT 检查价格", "body": "正文",
                **self.edit_form(item_id), **fields}
        return self.post(f"/admin/items/{item_id}/edit", data, content_type="multipart/form-data")


@pytest.fixture
def staff(app):
    sessions = {}

    def get(username):
        if username not in sessions:
            sessions[username] = Staff(app, username)
        return sessions[username]
    return get


def revision(app, item_id):
    """The item's newest revision as plain values."""
    with app.app_context():
        rev = db.session().get(Item, item_id).revisions[-1]
        return SimpleNamespace(number=rev.number, status=rev.status, title=rev.title, table=rev.table,
                               edit_version=rev.edit_version, audiences=rev.audiences,
                               window_start=rev.window_start,
                               attachments=[(a.id, a.sha256) for a in rev.attachments])


def publish(staff, item_id):
    for user, action in [("alice", "submit"), ("bob", "review"), ("carol", "clear"), ("dan", "approve")]:
        resp = staff(user).act(item_id, action)
        assert resp.status_code == 302, (action, resp.text)


def section(html: str, heading: str) -> str:
    """The panel under the <h2> that starts with `heading`."""
    match = re.search(r"<h2>" + re.escape(heading) + r".*?</section>", html, re.S)
    return match.group(0) if match else ""


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_login_page_is_chinese(client):
    resp = client.get("/admin/login")
    assert resp.status_code == 200
    assert 'lang="zh-CN"' in resp.text and "工作人员登录" in resp.text and "用户名" in resp.text
    assert TOKEN.search(resp.text)
    english_browser = client.get("/admin/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "工作人员登录" in english_browser.text


def test_pages_need_login_and_come_back_after_it(app):
    person = Staff(app)
    resp = person.get("/admin/items?status=draft")
    assert resp.status_code == 302 and "/admin/login" in resp.location
    login = person.client.post(resp.location, data={"username": "alice", "password": PASSWORD,
                                                    "csrf_token": person.token()})
    assert login.location == "/admin/items?status=draft"


def test_wrong_password_and_unknown_user_get_one_generic_error(app):
    person = Staff(app)
    wrong = person.client.post("/admin/login", data={"username": "alice", "password": "nope",
                                                     "csrf_token": person.token()})
    nobody = person.client.post("/admin/login", data={"username": "nobody", "password": "nope",
                                                      "csrf_token": person.token()})
    assert wrong.status_code == nobody.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in nobody.text
    assert person.get("/admin/").status_code == 302


def test_repeated_failures_lock_the_login(app):
    person = Staff(app)
    for _ in range(5):
        person.client.post("/admin/login", data={"username": "alice", "password": "x",
                                                 "csrf_token": person.token()})
    locked = person.client.post("/admin/login", data={"username": "alice", "password": PASSWORD,
                                                      "csrf_token": person.token()})
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text


def test_posts_without_the_csrf_token_are_refused(app, staff):
    alice = staff("alice")
    missing = alice.post("/admin/items/new", {"category": "prices", "title": "x"}, csrf=False)
    wrong = alice.post("/admin/items/new", {"category": "prices", "title": "x", "csrf_token": "bad"})
    assert missing.status_code == wrong.status_code == 400
    assert "页面已过期" in missing.text
    with app.app_context():
        assert db.session().scalar(select(Item).limit(1)) is None
    anonymous = Staff(app).client.post("/admin/login", data={"username": "alice", "password": PASSWORD})
    assert anonymous.status_code == 400


@pytest.mark.parametrize("path", ["/admin/", "/admin/items/new", "/admin/catalog/new", "/admin/users"])
def test_every_post_form_carries_the_token(staff, path):
    html = staff("boss" if "items" in path else "root").get(path).text
    forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)


def test_logout_is_a_post_and_ends_the_session(staff):
    alice = staff("alice")
    assert alice.get("/admin/logout").status_code == 405
    resp = alice.post("/admin/logout")
    assert resp.status_code == 302 and resp.location.endswith("/admin/login")
    assert alice.get("/admin/").status_code == 302


def test_full_workflow_through_the_forms(app, staff):
    item_id = staff("alice").create()
    page = staff("alice").get(f"/admin/items/{item_id}").text
    assert "草稿" in page and "<h1>价格</h1>" in page and "提交审核" in page
    assert "患者" in page and "公众" in page        # audiences default from the category
    assert staff("alice").act(item_id, "submit").status_code == 302
    assert "CT 检查价格" in section(staff("bob").get("/admin/").text, "待我审核")
    assert "CT 检查价格" not in section(staff("carol").get("/admin/").text, "待我审核")
    for user, action, shown in [("bob", "review", "已审议"), ("carol", "clear", "已保密审查"),
                                ("dan", "approve", "已公开")]:
        resp = staff(user).act(item_id, action)
        assert resp.status_code == 302
        assert shown in staff(user).get(resp.location).text
    page = staff("alice").get(f"/admin/items/{item_id}").text
    assert "已公开" in page
    for name in ("alice", "bob", "carol", "dan"):
        assert name in page.split("处理记录")[1]
    assert "更正" in page
    assert "CT 检查价格" in section(staff("alice").get("/admin/").text, "最近公开")


def test_queue_lists_drafts_and_items_awaiting_me(staff):
    item_id = staff("alice").create(title="待提交的草稿")
    assert "待提交的草稿" in section(staff("alice").get("/admin/").text, "我的草稿")
    staff("alice").act(item_id, "submit")
    assert "待提交的草稿" in section(staff("bob").get("/admin/").text, "待我审核")
    home = staff("alice").get("/admin/").text
    assert "待提交的草稿" not in section(home, "我的草稿")
    assert "待提交的草稿" in section(home, "我提交的 · 审核中") and "审议通过 · bob" in section(home, "我提交的 · 审核中")
    assert "待我审核" not in home                      # a contributor signs nothing off
    assert home.index("我的草稿") < home.index("我提交的 · 审核中") < home.index("最近公开")
    staff("bob").act(item_id, "reject", comment="请补充收费依据")
    home = staff("alice").get("/admin/").text
    assert "已退回修改：请补充收费依据" in section(home, "我的草稿")
    bob = staff("bob").get("/admin/").text
    assert bob.index("待我审核") < bob.index("最近公开") and "我的草稿" not in bob


def test_rejection_needs_a_comment(app, staff):
    item_id = staff("alice").create()
    staff("alice").act(item_id, "submit")
    resp = staff("bob").act(item_id, "reject", comment="  ")
    assert resp.status_code == 422 and "请填写意见或理由" in resp.text
    assert revision(app, item_id).status == "submitted"
    assert staff("bob").act(item_id, "reject", comment="价格依据不全").status_code == 302
    assert revision(app, item_id).status == "draft"
    assert "价格依据不全" in staff("alice").get(f"/admin/items/{item_id}").text


def test_nobody_approves_their_own_submission(app, staff):
    item_id = staff("boss").create()
    staff("boss").act(item_id, "submit")
    page = staff("boss").get(f"/admin/items/{item_id}").text
    assert 'value="review"' not in page
    resp = staff("boss").act(item_id, "review")
    assert resp.status_code == 403 and "不能审核或审定本人提交的事项" in resp.text
    assert revision(app, item_id).status == "submitted"


def test_stale_edit_is_refused_with_a_message(app, staff):
    item_id = staff("alice").create()
    seen = staff("alice").edit_form(item_id)
    assert staff("amy").edit(item_id, title="amy 的标题").status_code == 302
    resp = staff("alice").post(f"/admin/items/{item_id}/edit",
                               {"category": "prices", "title": "alice 的标题", "body": "x", **seen})
    assert resp.status_code == 409
    assert "该草稿已被他人修改" in resp.text and 'value="alice 的标题"' in resp.text
    assert revision(app, item_id).title == "amy 的标题"


def test_form_errors_keep_the_input(app, staff):
    resp = staff("alice").post("/admin/items/new", {"category": "prices", "title": " ",
                                                    "body": "我写的正文"})
    assert resp.status_code == 422
    assert "必填" in resp.text and "我写的正文" in resp.text
    bad = staff("alice").post("/admin/items/new", {"category": "prices", "title": "x",
                                                   "window_start": "2030-02-01T09:00",
                                                   "window_end": "2030-01-01T09:00"})
    assert bad.status_code == 422 and "结束时间必须晚于开始时间" in bad.text
    with app.app_context():
        assert db.session().scalar(select(Item).limit(1)) is None


@pytest.mark.parametrize("data,detail", [
    (b"name,price\nCT,300\nMRI\n", "第 3 行"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "不是文本文件"),
])
def test_bad_csv_is_a_form_error_and_changes_nothing(app, staff, data, detail):
    item_id = staff("alice").create()
    before = revision(app, item_id)
    resp = staff("alice").edit(item_id, title="新标题", table=(io.BytesIO(data), "prices.csv"))
    assert resp.status_code == 422 and "表格文件有误" in resp.text and detail in resp.text
    after = revision(app, item_id)
    assert (after.title, after.table, after.edit_version) == (before.title, None, before.edit_version)


def test_bad_image_is_a_form_error_and_changes_nothing(app, staff):
    item_id = staff("alice").create()
    resp = staff("alice").edit(item_id, title="新标题", image=(io.BytesIO(b"not an image"), "x.png"))
    assert resp.status_code == 422 and "图片无效" in resp.text
    after = revision(app, item_id)
    assert after.title == "CT 检查价格" and after.attachments == [] and after.edit_version == 1


def test_gbk_table_and_image_are_accepted(app, staff):
    item_id = staff("alice").create()
    rows = "编码,项目,价格\n" + "".join(f"{n:03d},检查{n},{n}.00\n" for n in range(1, 61))
    resp = staff("alice").edit(item_id, table=(io.BytesIO(rows.encode("gbk")), "价格.csv"),
                               image=(io.BytesIO(png_bytes()), "图.png"))
    assert resp.status_code == 302, resp.text
    rev = revision(app, item_id)
    assert rev.table["columns"] == ["编码", "项目", "价格"] and len(rev.table["rows"]) == 60
    page = staff("alice").get(f"/admin/items/{item_id}").text
    assert "共 60 行，显示前 50 行" in page and "检查50" in page and "检查51" not in page
    att_id, sha = rev.attachments[0]
    assert f"/media/{sha}" in page
    assert staff("bob").get(f"/media/{sha}").status_code == 200
    removed = staff("alice").edit(item_id, remove_image=str(att_id), remove_table="1")
    assert removed.status_code == 302
    assert revision(app, item_id).attachments == [] and revision(app, item_id).table is None


def test_window_is_local_time_and_audiences_are_kept(app, staff):
    item_id = staff("alice").create(window_start="2030-01-01T09:00", audiences=["staff"])
    rev = revision(app, item_id)
    assert rev.window_start.isoformat() == "2030-01-01T01:00:00+00:00"
    assert rev.audiences == [{"audiences": ["staff"], "at": None}]
    page = staff("alice").get(f"/admin/items/{item_id}").text
    assert "2030-01-01 09:00" in page
    assert 'value="2030-01-01T09:00"' in staff("alice").get(f"/admin/items/{item_id}/edit").text


def test_markup_in_items_is_escaped(staff):
    item_id = staff("alice").create(title="<img src=x onerror=alert(1)>",
                                    body="<script>alert('xss')</script>\n\n[x](javascript:alert(1))")
    page = staff("alice").get(f"/admin/items/{item_id}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and 'href="javascript' not in page


def test_withdraw_and_correction_through_forms(app, staff):
    item_id = staff("alice").create()
    publish(staff, item_id)
    no_reason = staff("alice").post(f"/admin/items/{item_id}/correction", {"reason": ""})
    assert no_reason.status_code == 422 and "请填写更正理由" in no_reason.text
    resp = staff("alice").post(f"/admin/items/{item_id}/correction", {"reason": "价格调整"})
    assert resp.status_code == 302 and resp.location.endswith(f"/admin/items/{item_id}/edit")
    assert revision(app, item_id).number == 2
    bare = staff("erin").act(item_id, "withdraw", comment="")
    assert bare.status_code == 422 and "请填写意见或理由" in bare.text
    assert staff("erin").act(item_id, "withdraw", comment="原公示作废").status_code == 302
    with app.app_context():
        revs = db.session().get(Item, item_id).revisions
        assert revs[0].status == "withdrawn"


def test_items_of_other_units_are_not_found(staff):
    item_id = staff("alice").create()
    assert staff("zed").get(f"/admin/items/{item_id}").status_code == 404
    assert staff("zed").act(item_id, "review").status_code == 404
    assert "CT 检查价格" not in staff("zed").get("/admin/items").text


def test_status_filter(staff):
    first = staff("alice").create(title="已提交的那个")
    staff("alice").create(title="还是草稿")
    staff("alice").act(first, "submit")
    page = staff("alice").get("/admin/items?status=submitted").text
    assert "已提交的那个" in page and "还是草稿" not in page


def test_catalog_edit_by_admin_is_audited(app, staff):
    root = staff("root")
    form = root.get("/admin/catalog/average-costs/edit").text
    assert "次均费用" in form or "average-costs" in form
    data = {"name": "次均费用公示", "name_en": "Average costs", "owner": "财务科",
            "audiences": ["staff", "patients", "public"], "kind": "periodic", "period": "month",
            "due_day": "5", "working_days": "", "description": "每月公示", "disclosure_days": "15"}
    resp = root.post("/admin/catalog/average-costs/edit", data)
    assert resp.status_code == 302, resp.text
    assert "次均费用公示" in root.get("/admin/catalog").text
    with app.app_context():
        entry = db.session().scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.actor, entry.action, entry.target) == ("root", "catalog.edit",
                                                             "category:H001/average-costs")
        assert '"due_day": 5' in entry.after
    no_day = root.post("/admin/catalog/average-costs/edit", {**data, "due_day": ""})
    assert no_day.status_code == 422 and "periodic 缺少 due_day" in no_day.text
    wider = root.post("/admin/catalog/average-costs/edit", {**data, "audiences": ["party"]})
    assert wider.status_code == 422 and "超出上级分类" in wider.text
    typo = root.post("/admin/catalog/average-costs/edit", {**data, "owner": "财务处"})   # not in the list
    assert typo.status_code == 422 and "“财务处”不在本单位的科室列表中" in typo.text
    assert '<option selected>财务处</option>' in typo.text          # kept on the form to correct


def test_catalog_new_category(staff):
    root = staff("root")
    data = {"key": "parking", "parent": "conveniences", "name": "停车指引", "owner": "后勤处",
            "audiences": ["patients", "public"], "kind": "standing", "disclosure_days": "20"}
    assert root.post("/admin/catalog/new", data).status_code == 302
    catalog = root.get("/admin/catalog").text
    row = re.sub(r"<[^>]+>", "", catalog.split('id="c-parking"')[1].split("</tr>")[0])
    assert "停车指引" in row and "parking" not in row            # no slug in what people read
    again = root.post("/admin/catalog/new", data)
    assert again.status_code == 422 and "已有分类使用这个文件夹名" in again.text
    assert "停车指引" in staff("alice").get("/admin/items/new").text
    unnamed = root.post("/admin/catalog/new", {**data, "key": "", "name": "停车指引"})   # the key is made up
    assert unnamed.status_code == 302 and unnamed.location.endswith("#c-ting-che-zhi-yin")
    assert root.post("/admin/catalog/new", {**data, "key": ""}).location.endswith("#c-ting-che-zhi-yin-2")


def test_catalog_editing_is_for_admins_only(staff):
    alice = staff("alice")
    assert alice.get("/admin/catalog").status_code == 200
    assert alice.get("/admin/catalog/prices/edit").status_code == 403
    assert alice.post("/admin/catalog/prices/edit", {"name": "x", "owner": "y"}).status_code == 403
    assert alice.get("/admin/catalog/new").status_code == 403


def test_user_admin_creates_and_changes_accounts(app, staff):
    root = staff("root")
    short = root.post("/admin/users", {"username": "nina", "password": "short", "roles": ["reviewer"]})
    assert short.status_code == 422 and "密码至少 8 位" in short.text
    taken = root.post("/admin/users", {"username": "alice", "password": "long-enough-42", "roles": ["reviewer"]})
    assert taken.status_code == 422 and "用户名已存在" in taken.text
    ok = root.post("/admin/users", {"username": "nina", "display_name": "倪娜", "password": "long-enough-42",
                                    "roles": ["reviewer", "handler"]})
    assert ok.status_code == 302
    assert "倪娜" in root.get("/admin/users").text
    Staff(app).login("nina", "long-enough-42")
    with app.app_context():
        nina_id = db.session().scalar(select(User).where(User.username == "nina")).id
    assert root.post(f"/admin/users/{nina_id}", {"roles": ["contributor"]}).status_code == 302
    nina = Staff(app)
    nina.login("nina", "long-enough-42")
    assert "新建事项" in nina.get("/admin/").text
    assert root.post(f"/admin/users/{nina_id}/active", {"active": "0"}).status_code == 302
    person = Staff(app)
    refused = person.client.post("/admin/login", data={"username": "nina", "password": "long-enough-42",
                                                       "csrf_token": person.token()})
    assert refused.status_code == 401
    with app.app_context():
        actions = [e.action for e in db.session().scalars(select(AuditEntry).where(AuditEntry.actor == "root"))]
        assert actions == ["user.create", "user.roles", "user.deactivate"]
    own = root.post(f"/admin/users/{_id(app, 'root')}", {"roles": ["reviewer"]})
    assert own.status_code == 422 and "不能取消自己的管理员角色" in own.text


def _id(app, username):
    with app.app_context():
        return db.session().scalar(select(User).where(User.username == username)).id


def test_user_admin_is_for_admins_only(app, staff):
    assert staff("alice").get("/admin/users").status_code == 403
    assert staff("alice").post("/admin/users", {"username": "x1", "password": "long-enough-42",
                                                "roles": ["admin"]}).status_code == 403
    assert staff("alice").post(f"/admin/users/{_id(app, 'bob')}/active", {"active": "0"}).status_code == 403
    assert staff("root").get(f"/admin/users/{_id(app, 'zed')}").status_code == 404
    assert "用户管理" not in staff("alice").get("/admin/").text


def test_english_on_request_and_remembered(staff):
    alice = staff("alice")
    page = alice.get("/admin/?lang=en").text
    assert 'lang="en"' in page and "Drafts to submit" in page and "Log out" in page
    assert "All items" in alice.get("/admin/items").text
    resp = alice.post("/admin/items/new", {"category": "prices", "title": ""})
    assert "Required" in resp.text
    assert "全部事项" in alice.get("/admin/items?lang=zh").text


def test_unit_switcher(app, staff):
    from server.auth import set_roles
    from server.instance import find_unit
    with app.app_context():
        s = db.session()
        root = s.scalar(select(User).where(User.username == "root"))
        set_roles(s, root, find_unit(s, "H002"), ["admin"])
        s.commit()
    unit_name = re.compile(r'class="unit-name">([^<]+)<')
    page = staff("root").get("/admin/").text
    assert 'name="unit"' in page and unit_name.search(page).group(1) == "第一人民医院"
    switched = staff("root").get("/admin/?unit=H002").text
    assert unit_name.search(switched).group(1) == "第二人民医院"
    assert unit_name.search(staff("root").get("/admin/catalog").text).group(1) == "第二人民医院"
    assert staff("root").get("/admin/?unit=H999").status_code == 403
    assert 'name="unit"' not in staff("alice").get("/admin/").text


def test_error_pages_outside_the_admin_ui_still_render(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "未找到" in resp.text and "退出" not in resp.text


def test_error_pages_say_what_happened_and_where_to_go_no_status_codes(app, staff, api):
    item = api.create()
    api.publish(item["id"])
    alice = staff("alice")
    cases = [(alice.get("/admin/items/99999"), 404, "未找到"),
             (alice.get(f"/admin/items/{item['id']}/edit", headers={"Referer": f"http://localhost/admin/items/{item['id']}"}),
              409, "只有草稿可以修改"),
             (alice.get("/admin/users"), 403, "您没有执行此操作的角色权限"),
             (alice.post(f"/admin/items/{item['id']}/actions", {"action": "x"}, csrf=False), 400, "页面已过期"),
             (alice.client.delete("/admin/items"), 405, "不支持此请求方法")]
    for resp, status, words in cases:
        page = resp.text
        assert resp.status_code == status and f"<h1>{words}" in page, (status, page[:300])
        assert not re.search(r"HTTP\s*\d{3}|\b" + str(status) + r"\b", page.split("<main>")[1]), status
        assert "返回工作台" in page
    assert f'href="http://localhost/admin/items/{item["id"]}">返回上一页' in cases[1][0].text
    offsite = alice.get("/admin/items/99999", headers={"Referer": "https://evil.example/x"}).text
    assert "evil.example" not in offsite


def test_public_errors_stay_under_the_public_header(app, client):
    from server.hearing.models import FeedbackPoint
    from server.instance import find_unit
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="大厅"))
        s.commit()
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = client.post("/f/BOX1", data={"text": "x" * 5000})
    assert resp.status_code == 413 and "院务公开 · " in resp.text and "院务公开管理" not in resp.text
    assert "文件过大" in resp.text and "HTTP" not in resp.text and 'action="/t"' in resp.text
    wrong = client.put("/r")
    assert wrong.status_code == 405 and "院务公开管理" not in wrong.text and "不支持此请求方法" in wrong.text
