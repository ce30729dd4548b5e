"""Drop-folder ingest with real files in a real instance folder, the real watchdog thread and the
real SQLite database: CSV (UTF-8, GBK), bad CSV, wrong encoding, huge files, files written in pieces,
duplicates, PDF and images, unknown categories, the reviewer's diff and the `ingest --once` command."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image
from sqlalchemy import func, select

from conftest import Api
from server import db
from server.ingest.process import INGEST_USER, IngestService, start_ingest
from server.ingest.models import IngestedFile
from server.disclosure.items import take_action
from server.models import AuditEntry, Item, Revision, User
from server.validation import ServiceError
from test_admin import Staff

SETTLE = 0.4
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRICES_UTF8 = "项目编码,项目名称,价格\nA01,血常规,20.00\nA02,CT检查,300.00\nA03,B超,80.00\n"


@pytest.fixture
def inbox(app):
    """The instance's inbox with the watcher running; its rescan is set far away (60 s), so files
    are only noticed in time through watchdog's file-system events."""
    app.config.update(INGEST_SETTLE_SECONDS=SETTLE, INGEST_RESCAN_SECONDS=60)
    service = start_ingest(app)
    yield Inbox(app, service.root)
    service.stop()


class Inbox:
    def __init__(self, app, root):
        self.app, self.root = app, root

    def drop(self, rel: str, data: bytes) -> str:
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def outcome(self, rel: str, timeout: float = 15.0) -> tuple[str, str]:
        """Wait until the file lands in processed/ or rejected/; (folder, reason text)."""
        deadline = time.monotonic() + timeout
        folder, name = os.path.split(rel)
        while time.monotonic() < deadline:
            for kind in ("processed", "rejected"):
                base = os.path.join(self.root, kind)
                for day in os.listdir(base) if os.path.isdir(base) else []:
                    reason = os.path.join(base, day, folder, name + ".reason.txt")
                    if os.path.exists(reason):
                        assert os.path.exists(reason[:-len(".reason.txt")])
                        with open(reason, encoding="utf-8") as fh:
                            return kind, fh.read()
            time.sleep(0.05)
        raise AssertionError(f"{rel} was not processed within {timeout} s")

    def rows(self) -> list[IngestedFile]:
        with self.app.app_context():
            return db.session().scalars(select(IngestedFile).order_by(IngestedFile.id)).all()

    def items(self, category: str | None = None) -> list[Item]:
        with self.app.app_context():
            s = db.session()
            found = s.scalars(select(Item).order_by(Item.id)).all()
            for item in found:
                _ = [r.attachments for r in item.revisions], item.category.key, item.unit.code
            return [i for i in found if category is None or i.category.key == category]


def test_utf8_csv_becomes_a_draft_made_by_the_ingest_user(inbox, client):
    inbox.drop("prices/门诊价格.csv", PRICES_UTF8.encode())
    kind, reason = inbox.outcome("prices/门诊价格.csv")
    assert kind == "processed" and "第 1 版" in reason and "3 行" in reason
    (item,) = inbox.items("prices")
    rev = item.revisions[0]
    assert rev.title == "门诊价格" and rev.status == "draft" and item.unit.code == "H001"
    assert rev.table == {"columns": ["项目编码", "项目名称", "价格"],
                         "rows": [["A01", "血常规", "20.00"], ["A02", "CT检查", "300.00"], ["A03", "B超", "80.00"]]}
    with inbox.app.app_context():
        s = db.session()
        user = s.scalar(select(User).where(User.username == INGEST_USER))
        assert rev.created_by == user.id and not user.active
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.action.like("item.%"))))
        assert actors == {INGEST_USER}
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "ingest.processed")) == 1
    row = inbox.rows()[0]
    assert (row.outcome, row.item_id, row.revision_number, row.category_key) == ("processed", item.id, 1, "prices")
    assert row.size == len(PRICES_UTF8.encode()) and len(row.sha256) == 64
    login = client.post("/api/v1/tokens", json={"username": INGEST_USER, "password": ""})
    assert login.status_code == 401
    from server.instance import find_unit
    from server.staff import set_active
    with inbox.app.app_context():
        s = db.session()
        root = s.scalar(select(User).where(User.username == "root"))
        with pytest.raises(ServiceError) as refused:       # an admin cannot switch it on either
            set_active(s, root, find_unit(s, "H001"), user, True)
        assert refused.value.fields["active"][0] == "system_account"
        s.rollback()
        assert not s.get(User, user.id).active


def test_gbk_csv_into_another_units_folder(inbox):
    data = "编码,药品名称,规格,价格\nY1,阿莫西林胶囊,0.25g*24,12.50\nY2,头孢克肟片,0.1g*6,25.00\n".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    inbox.drop("H002/drug-prices/drugs-202611.csv", data)
    kind, reason = inbox.outcome("H002/drug-prices/drugs-202611.csv")
    assert kind == "processed", reason
    (item,) = inbox.items("drug-prices")
    assert item.unit.code == "H002"
    assert item.revisions[0].table["rows"][0] == ["Y1", "阿莫西林胶囊", "0.25g*24", "12.50"]
    assert item.revisions[0].title.startswith("药品价格")


@pytest.mark.parametrize("name,data,detail", [
    ("ragged.csv", "项目,价格\n血常规,20\nCT,300,多余\n".encode(), "第 3 行有 3 列"),
    ("header-only.csv", "项目,价格\n".encode(), "至少需要表头和一行数据"),
    ("binary.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "不是文本文件：第 6 个字节（偏移 5）是空字节"),
    ("latin.csv", b"item,price\n\xff\xfe\xfd\xfc,20\n", "无法识别文件编码：从第 12 个字节（偏移 11，0xFF）起"),
    ("prices.xlsx", b"PK\x03\x04 not a csv", "不支持的文件类型"),
])
def test_bad_files_are_rejected_with_a_reason_and_make_nothing(inbox, name, data, detail):
    path = inbox.drop(f"prices/{name}", data)
    kind, reason = inbox.outcome(f"prices/{name}")
    assert kind == "rejected" and detail in reason, reason
    assert not os.path.exists(path)
    (moved,) = [os.path.join(d, name) for d, _, files in os.walk(inbox.root) if name in files]
    with open(moved, "rb") as fh:
        assert fh.read() == data  # never lost, never changed
    assert inbox.items() == []
    assert [r.outcome for r in inbox.rows()] == ["rejected"]


def test_huge_file_is_rejected_without_being_read(inbox):
    path = os.path.join(inbox.root, "prices", "huge.csv")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write("项目,价格\n".encode())
        fh.truncate(60 * 1024 * 1024)  # sparse: 60 MB on paper, nothing written
    kind, reason = inbox.outcome("prices/huge.csv")
    assert kind == "rejected" and "文件过大" in reason and "60.0 MB" in reason and "未读取" in reason
    (row,) = inbox.rows()
    assert row.sha256 is None and row.size == 60 * 1024 * 1024  # never hashed: never read
    assert inbox.items() == []


def test_file_written_in_pieces_is_read_only_when_complete(inbox):
    path = os.path.join(inbox.root, "prices", "slow.csv")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = PRICES_UTF8.encode().splitlines(keepends=True)
    with open(path, "wb") as fh:
        for n in range(12):  # ~2.4 s of writing, each pause shorter than the settle time
            fh.write(lines[n % len(lines)] if n == 0 else f"B{n:02d},项目{n},{n}.00\n".encode())
            fh.flush()
            time.sleep(SETTLE / 2)
            assert os.path.exists(path) and inbox.rows() == []
    kind, reason = inbox.outcome("prices/slow.csv")
    assert kind == "processed" and "11 行" in reason


def test_temporary_names_are_left_alone_until_renamed(inbox):
    part = inbox.drop("prices/list.csv.part", PRICES_UTF8.encode())
    hidden = inbox.drop("prices/.list.csv", PRICES_UTF8.encode())
    time.sleep(SETTLE * 4)
    assert os.path.exists(part) and os.path.exists(hidden) and inbox.rows() == []
    os.rename(part, part[:-len(".part")])
    assert inbox.outcome("prices/list.csv")[0] == "processed"
    assert os.path.exists(hidden)


def test_the_same_file_twice_makes_one_revision(inbox):
    inbox.drop("prices/a.csv", PRICES_UTF8.encode())
    assert inbox.outcome("prices/a.csv")[0] == "processed"
    inbox.drop("prices/a.csv", PRICES_UTF8.encode())
    inbox.drop("prices/copy.csv", PRICES_UTF8.encode())
    kind, reason = inbox.outcome("prices/copy.csv")
    assert kind == "processed" and "未生成修订" in reason and "第 1 版（草稿）的表格完全相同" in reason
    deadline = time.monotonic() + 10
    while len(inbox.rows()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(r.outcome for r in inbox.rows()) == ["duplicate", "duplicate", "processed"]
    (item,) = inbox.items("prices")
    assert len(item.revisions) == 1
    processed = [f for _, _, files in os.walk(os.path.join(inbox.root, "processed")) for f in files]
    assert sorted(processed) == ["a-1.csv", "a-1.csv.reason.txt", "a.csv", "a.csv.reason.txt",
                                 "copy.csv", "copy.csv.reason.txt"]


def _pdf(pages: int) -> bytes:
    images = [Image.new("RGB", (300, 400), (255, 255, 255 - 40 * n)) for n in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def test_pdf_pages_and_images_become_attachments(inbox, app):
    from server.ingest.targets import set_target
    from server.models import Category
    with app.app_context():   # 出诊信息: one item per file (an admin's choice under 公开目录)
        s = db.session()
        root = s.scalar(select(User).where(User.username == "root"))
        cat = s.scalar(select(Category).where(Category.key == "clinic-schedule", Category.unit_id == 1))
        set_target(s, root, cat.unit, cat, None, True)
    inbox.drop("clinic-schedule/本周专家门诊.pdf", _pdf(3))
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(png, "PNG")
    inbox.drop("clinic-schedule/poster.png", png.getvalue())
    inbox.drop("clinic-schedule/broken.pdf", b"%PDF-1.4 this is not really a pdf")
    assert inbox.outcome("clinic-schedule/本周专家门诊.pdf")[0] == "processed"
    assert inbox.outcome("clinic-schedule/poster.png")[0] == "processed"
    kind, reason = inbox.outcome("clinic-schedule/broken.pdf")
    assert kind == "rejected" and "PDF 无法打开" in reason
    png_item, pdf_item = inbox.items("clinic-schedule")  # taken in name order: b…, p…, 本…
    assert png_item.revisions[0].title.startswith("出诊信息（")
    pages = pdf_item.revisions[0].attachments
    assert pdf_item.revisions[0].title == "本周专家门诊" and len(pages) == 3
    assert all(os.path.exists(os.path.join(app.config["MEDIA_DIR"], a.sha256)) for a in pages)
    assert [(a.width, a.height, a.mime) for a in png_item.revisions[0].attachments] == [(64, 48, "image/png")]


def test_unknown_category_and_misplaced_files_are_rejected(inbox):
    inbox.drop("no-such-list/x.csv", PRICES_UTF8.encode())
    inbox.drop("loose.csv", PRICES_UTF8.encode())
    inbox.drop("H002/loose.csv", PRICES_UTF8.encode())
    kind, reason = inbox.outcome("no-such-list/x.csv")
    assert kind == "rejected" and "未知的公开目录栏目「no-such-list」" in reason
    for rel in ("loose.csv", "H002/loose.csv"):
        kind, reason = inbox.outcome(rel)
        assert kind == "rejected" and "栏目文件夹" in reason
    assert inbox.items() == []


def _published_price_list(api: Api) -> int:
    item = api.create(title="医疗服务价格")
    put = api.call("PUT", f"/items/{item['id']}/table?version={item['version']}", "alice",
                   data=PRICES_UTF8.encode(), headers={"Content-Type": "text/csv"})
    assert put.status_code == 200, put.get_json()
    assert api.publish(item["id"])["status"] == "published"
    return item["id"]


def test_new_table_for_a_published_item_is_a_correction_with_a_diff_for_the_reviewer(inbox, app):
    api = Api(app.test_client())
    item_id = _published_price_list(api)
    new = "价格,项目名称,项目编码\n85.00,B超,A03\n20.00,血常规,A01\n600.00,核磁共振,A04\n"  # reordered
    inbox.drop("prices/2026-12.csv", new.encode("gbk"))
    kind, reason = inbox.outcome("prices/2026-12.csv")
    assert kind == "processed" and f"事项 #{item_id}「医疗服务价格」第 2 版" in reason and "更正草稿" in reason
    (item,) = inbox.items("prices")
    live, draft = item.revisions
    assert (live.status, draft.status) == ("published", "draft")
    assert draft.reason == "医疗服务价格更新：新增 1 行、删除 1 行、修改 1 行，现共 3 行。"   # no file name
    assert "与已公开的第 1 版相比：新增 1 行，删除 1 行，修改 1 行，未变 1 行（按「项目编码」列对应）" in reason

    bob = Staff(app, "bob")
    page = bob.get(f"/admin/items/{item_id}").text
    assert 'id="table-diff"' in page and "按「项目编码」列对应新旧行" in page
    assert "新增 1 行" in page and "删除 1 行" in page and "修改 1 行" in page and "未变 1 行" in page
    assert "<del>80.00</del> → <ins>85.00</ins>" in page
    assert "核磁共振" in page.split('class="data diff-added"')[1].split("</table>")[0]
    assert "CT检查" in page.split('class="data diff-removed"')[1].split("</table>")[0]
    assert 'id="table-diff"' not in bob.get(f"/admin/items/{item_id}?rev=1").text
    english = bob.get(f"/admin/items/{item_id}?lang=en").text
    assert "1 rows added" in english and "Rows matched by the column “项目编码”" in english

    with app.app_context():  # the ingest account cannot take the draft further than a contributor
        s = db.session()
        robot = s.scalar(select(User).where(User.username == INGEST_USER))
        item = s.get(Item, item_id)
        for action in ("review", "approve"):
            with pytest.raises(ServiceError) as err:
                take_action(s, robot, item, action)
            assert err.value.status == 403
    assert api.publish(item_id)["status"] == "published"
    with app.app_context():
        revs = db.session().scalars(select(Revision).where(Revision.item_id == item_id)
                                    .order_by(Revision.number)).all()
        assert [r.status for r in revs] == ["superseded", "published"]
        assert revs[1].table["columns"] == ["价格", "项目名称", "项目编码"]


def test_a_second_table_updates_the_import_draft_and_one_in_review_is_refused(inbox, app):
    inbox.drop("prices/v1.csv", PRICES_UTF8.encode())
    kind, reason = inbox.outcome("prices/v1.csv")
    assert kind == "processed" and "本栏目首次导入，此事项成为栏目的导入事项" in reason
    inbox.drop("prices/v2.csv", (PRICES_UTF8 + "A09,胸片,50.00\n").encode())
    kind, reason = inbox.outcome("prices/v2.csv")
    assert kind == "processed" and "更新了尚未提交的导入草稿" in reason and "与被替换的草稿相比：新增 1 行" in reason
    (item,) = inbox.items("prices")
    assert len(item.revisions) == 1 and len(item.revisions[0].table["rows"]) == 4
    api = Api(app.test_client())
    assert api.act(item.id, "submit", "alice").status_code == 200
    other = _published_price_list(api)   # a person's price list: files never go there unnamed
    inbox.drop("prices/v3.csv", (PRICES_UTF8 + "A10,心电图,30.00\n").encode())
    kind, reason = inbox.outcome("prices/v3.csv")
    assert kind == "rejected" and f"事项 #{item.id}" in reason and "正在办理" in reason
    inbox.drop(f"prices/v4#{other}.csv", (PRICES_UTF8 + "A11,尿常规,15.00\n").encode())
    kind, reason = inbox.outcome(f"prices/v4#{other}.csv")
    assert kind == "processed" and f"事项 #{other}" in reason and "更正草稿（按文件名指定的事项）" in reason
    inbox.drop(f"prices/v5#{other}.csv", (PRICES_UTF8 + "A12,血糖,8.00\n").encode())
    kind, reason = inbox.outcome(f"prices/v5#{other}.csv")
    assert kind == "processed" and "更新了尚未提交的导入草稿" in reason
    assert api.act(other, "submit", "alice").status_code == 200
    inbox.drop(f"prices/v6#{other}.csv", (PRICES_UTF8 + "A13,血脂,28.00\n").encode())
    kind, reason = inbox.outcome(f"prices/v6#{other}.csv")
    assert kind == "rejected" and "正在办理" in reason


def test_files_left_by_a_dead_process_of_an_older_version_are_put_back_and_processed(app):
    """An older version named its claim folder by PID alone: put back when that PID is gone."""
    app.config.update(INGEST_SETTLE_SECONDS=SETTLE, INGEST_RESCAN_SECONDS=60)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    root = os.path.join(app.instance_path, "inbox")
    stranded = os.path.join(root, ".work", str(dead.pid), "prices", "left.csv")
    os.makedirs(os.path.dirname(stranded))
    with open(stranded, "wb") as fh:
        fh.write(PRICES_UTF8.encode())
    service = start_ingest(app)
    try:
        kind, _ = Inbox(app, root).outcome("prices/left.csv")
    finally:
        service.stop()
    assert kind == "processed" and not os.path.exists(os.path.join(root, ".work", str(dead.pid)))


def test_ingest_once_command(app, capsys, monkeypatch):
    """`python -m server ingest --once` through its real entry point (in this process: fast)."""
    from server.__main__ import main
    inbox = Inbox(app, os.path.join(app.instance_path, "inbox"))
    inbox.drop("prices/ok.csv", PRICES_UTF8.encode())
    inbox.drop("prices/bad.csv", b"only-a-header\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GONGKAI_INGEST_SETTLE_SECONDS", "0.2")
    assert main(["ingest", "--once", "--instance", app.instance_path]) == 1  # a file was rejected
    out = capsys.readouterr().out
    assert "2 file(s) taken" in out and "至少需要表头" in out and "表格：3 行 × 3 列" in out
    assert inbox.outcome("prices/bad.csv")[0] == "rejected"
    assert inbox.outcome("prices/ok.csv")[0] == "processed" and len(inbox.items("prices")) == 1
    assert main(["ingest", "--once", "--instance", app.instance_path]) == 0
    assert "0 file(s) taken" in capsys.readouterr().out
    assert main(["ingest", "--once", "--instance", os.path.join(app.instance_path, "nothing-here")]) == 2
    assert "run `python -m server init` first" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["instance", "parent"])
def test_an_inbox_that_holds_the_instance_folder_is_refused(app, capsys, monkeypatch, where):
    """INGEST_DIR set to the instance folder (or above it) would move the database as a misplaced file."""
    from server.__main__ import main
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = app.instance_path if where == "instance" else os.path.dirname(app.instance_path)
    monkeypatch.setenv("GONGKAI_INGEST_DIR", folder)
    before = set(os.listdir(app.instance_path))
    assert main(["ingest", "--once", "--instance", app.instance_path]) == 2
    assert "holds the instance folder" in capsys.readouterr().err
    assert "feed_key.pem" in before and before <= set(os.listdir(app.instance_path))   # nothing moved away
    assert not os.path.exists(os.path.join(folder, "processed")) and not os.path.exists(os.path.join(folder, "rejected"))


def test_ingest_command_line_runs_as_a_program(app):
    """The same command as a real process (as cron or systemd would run it)."""
    os.makedirs(os.path.join(app.instance_path, "inbox", "prices"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["GONGKAI_INGEST_SETTLE_SECONDS"] = "0.1"
    done = subprocess.run([sys.executable, "-m", "server", "ingest", "--once", "--instance",
                           app.instance_path], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "0 file(s) taken" in done.stdout, done.stderr


def test_run_once_leaves_a_file_that_is_still_growing(app, tmp_path):
    app.config.update(INGEST_SETTLE_SECONDS=0.3)
    service = IngestService(app)
    path = os.path.join(service.root, "prices", "growing.csv")
    os.makedirs(os.path.dirname(path))
    stop = time.monotonic() + 1.5
    with open(path, "wb") as fh:
        fh.write("项目,价格\n".encode())

        def writer():
            while time.monotonic() < stop:
                fh.write("血常规,20\n".encode())
                fh.flush()
                time.sleep(0.05)
        thread = threading.Thread(target=writer)
        thread.start()
        rows, waiting = service.run_once()
        thread.join()
    assert rows == [] and waiting == 1 and os.path.exists(path)


def test_reviewer_sees_the_highlighted_diff_in_chromium(inbox, app):
    """The diff as a reviewer's browser renders it; screenshot in tests/artifacts/."""
    from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
    from playwright.sync_api import sync_playwright
    from test_admin_browser import login
    require_chromium()
    item_id = _published_price_list(Api(app.test_client()))
    rows = "".join(f"B{n:02d},检查项目{n},{n}.00\n" for n in range(30))
    inbox.drop("prices/new.csv", ("项目编码,项目名称,价格\nA01,血常规,22.00\nA03,B超,80.00\n" + rows).encode())
    assert inbox.outcome("prices/new.csv")[0] == "processed"
    with served(app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        login(page, base, "bob")
        page.goto(f"{base}/admin/items/{item_id}")
        diff = page.locator("#table-diff")
        diff.scroll_into_view_if_needed()
        assert diff.is_visible()
        assert diff.locator(".counts").inner_text().split() == ["新增", "30", "行", "删除", "1", "行",
                                                               "修改", "1", "行", "未变", "1", "行"]
        assert "每类只列出前 20 行" in diff.inner_text()
        assert diff.locator("table.diff-added tbody tr").count() == 20
        changed = diff.locator("td.changed")
        assert changed.count() == 1 and changed.inner_text() == "20.00 → 22.00"
        background = changed.evaluate("el => getComputedStyle(el).backgroundColor")
        assert background == "rgb(255, 243, 214)"
        assert diff.locator("table.diff-removed tbody tr.removed").count() == 1
        diff.screenshot(path=str(ARTIFACTS / "ingest_table_diff.png"))
        warnings = page.locator("#table-warnings")   # the reason file's warnings, above the diff
        assert warnings.is_visible() and warnings.locator("li").all_inner_texts() == [
            "删除了 1 行，占原表 3 行的 33%：请确认导出是否完整"]
        assert warnings.bounding_box()["y"] < diff.bounding_box()["y"]
        warnings.screenshot(path=str(ARTIFACTS / "ingest_table_warnings.png"))
        # the admin's side: the category's import item on the catalog form, refused when it is not one of its items
        admin = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
        login(admin, base, "root")
        admin.goto(f"{base}/admin/catalog/prices/edit")
        field = admin.locator("input[name=import_item]")
        assert field.input_value() == str(item_id)   # set by the first import: the one published table
        field.fill("999")
        admin.click("form.category-form button[type=submit]")
        assert "须为本栏目中事项的编号" in admin.locator("form.category-form").inner_text()
        admin.locator("input[name=import_item]").fill("")
        admin.check("input[name=import_new_items]")
        admin.click("form.category-form button[type=submit]")
        admin.wait_for_url("**/admin/catalog#c-prices")
        admin.goto(f"{base}/admin/catalog/prices/edit")
        assert admin.locator("input[name=import_new_items]").is_checked()
        admin.locator("input[name=import_item]").locator("xpath=ancestor::fieldset").screenshot(
            path=str(ARTIFACTS / "ingest_import_target.png"))
        browser.close()
    with app.app_context():
        from server.ingest.targets import setting
        from server.models import Category
        s = db.session()
        target = setting(s, s.scalar(select(Category).where(Category.key == "prices", Category.unit_id == 1)))
        assert (target.item_id, target.new_items, target.set_by) == (None, True, "root")
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "catalog.import_target"))]
        assert actions == ["catalog.import_target"] * 2   # the first import's choice, then the admin's


@pytest.mark.parametrize("backend", ["sqlite"])  # breaks the SQLite file on purpose
def test_a_database_failure_leaves_the_file_in_the_inbox(app):
    """Not the file's fault: it stays where it was dropped and is taken on the next scan."""
    import sqlite3
    from sqlalchemy.exc import OperationalError
    app.config.update(INGEST_SETTLE_SECONDS=0)
    service = IngestService(app)
    inbox = Inbox(app, service.root)
    path = inbox.drop("prices/a.csv", PRICES_UTF8.encode())
    database = app.config["DATABASE_URL"][len("sqlite:///"):]
    for table in ("ingest_target", "ingested_file"):   # read before anything is made; written last
        with sqlite3.connect(database) as conn:
            conn.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        with pytest.raises(OperationalError):
            service.scan()
        assert os.path.exists(path) and not os.path.exists(os.path.join(service.root, ".work", service.claims.token,
                                                                        "prices", "a.csv"))
        with sqlite3.connect(database) as conn:
            conn.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
        if table == "ingest_target":
            assert inbox.items() == []
    rows, waiting = service.scan()
    assert [r.outcome for r in rows] == ["duplicate"] and waiting == 0 and not os.path.exists(path)
    (item,) = inbox.items()   # made once; the second try found it made: the file is a duplicate
    assert len(item.revisions) == 1
