"""公开栏 (server/boards/): prints read back from the PDF (Chinese text, the table header repeated on the
next page, the verification line, the page size in points) with their QR code decoded by zbarimg from
a rendered page; refusals (409 not published, 404 another unit's board, 422 bad paper); the phone page
a superseded or withdrawn print opens; postings and the tasks outdated prints make after a 更正 and a
撤销, with due dates and overdue; who may call every new route."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from PIL import Image
from sqlalchemy import select

from server import db
from server.boards import postings
from server.boards.print_pdf import ORIENTATIONS, PAPER_SIZES
from server.hearing.models import FeedbackPoint
from server.instance import find_unit
from server.models import Decision, Item, User, utcnow
from server.workdays import calendar_for, local
from readme_shots_print import write_print_shot
from test_admin import Staff

HEADER = ["收费项目编码", "收费项目名称", "计价单位", "价格（元）"]
ROWS = 90   # enough for an A4 page and a second one
POINTS = {("A4", "portrait"): (595, 842), ("A4", "landscape"): (842, 595),
          ("A3", "portrait"): (842, 1191), ("A3", "landscape"): (1191, 842)}


def _csv() -> bytes:
    lines = [",".join(HEADER)] + [f"{110000 + n},门诊诊查费第{n}项,次,{n}.50" for n in range(ROWS)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _points(app):
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="GKL1", name="门诊大厅院务公开栏"))
        s.add(FeedbackPoint(unit_id=find_unit(s, "H002").id, code="ZYB2", name="二院住院部公开栏"))
        s.commit()


def _published(api, category="prices", title="医疗服务价格公示", body=None, table=True, image=False) -> dict:
    item = api.create(category=category, title=title,
                      body=body or "## 收费说明\n\n本院严格执行**湖南省**医疗服务价格标准，欢迎监督。\n\n- 价格如有疑问请咨询物价办")
    if image:
        resp = api.call("POST", f"/items/{item['id']}/images", "alice", data={"file": (io.BytesIO(_png(600, 400)), "收费公示栏.png")},
                        content_type="multipart/form-data")
        assert resp.status_code == 201, resp.get_json()
        item = resp.get_json()
    if table:
        resp = api.call("PUT", f"/items/{item['id']}/table?version={item['version']}", "alice", data=_csv(),
                        content_type="text/csv")
        assert resp.status_code == 200, resp.get_json()
    api.publish(item["id"])
    return item


def _correct(api, item_id: int, body: str = "更正后的收费说明。") -> None:
    got = api.call("POST", f"/items/{item_id}/revisions", "alice", json={"reason": "价格调整"}).get_json()
    assert api.call("PATCH", f"/items/{item_id}", "alice", json={"body": body, "version": got["version"]}).status_code == 200
    api.publish(item_id)


def _text(page) -> str:
    return page.get_textpage().get_text_bounded()


def _qr(page, tmp_path) -> list[str]:
    """The QR codes zbarimg finds on the page rendered at 150 dpi."""
    path = tmp_path / "page.png"
    page.render(scale=150 / 72).to_pil().save(path)
    out = subprocess.run([shutil.which("zbarimg"), "-q", "--raw", str(path)], capture_output=True, text=True, timeout=60)
    return out.stdout.split()


def _print(api, item_id, user="alice", **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return api.call("GET", f"/items/{item_id}/print.pdf?{q}", user)


def test_prints_read_back_in_every_size_with_a_working_qr_code(app, api, tmp_path):
    _points(app)
    item = _published(api, image=True)
    with app.app_context():
        today = local(utcnow()).date()
    for size in PAPER_SIZES:
        for orientation in ORIENTATIONS:
            resp = _print(api, item["id"], size=size, orientation=orientation, board="GKL1")
            assert resp.status_code == 200 and resp.mimetype == "application/pdf", resp.data[:200]
            assert f"-v1-{size}-{orientation}.pdf" in resp.headers["Content-Disposition"]
            doc = pdfium.PdfDocument(resp.data)
            width, height = doc[0].get_size()
            assert (round(width), round(height)) == POINTS[(size, orientation)]
            first = _text(doc[0])
            for words in ("第一人民医院", "医疗服务价格公示", "本院严格执行湖南省医疗服务价格标准", "收费说明",
                          f"第 1 版 · {today:%Y-%m-%d} 审定", "扫码留言", "门诊大厅院务公开栏", "公开时间",
                          f"第 1 页 / 共 {len(doc)} 页", "门诊诊查费第0项"):
                assert words in first, (size, orientation, words)
            images = sum(len(list(page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]))) for page in doc)
            assert images == len(doc) + 1          # a QR code on every page, and the item's picture
            if (size, orientation) == ("A4", "portrait"):
                assert len(doc) >= 2
                second = _text(doc[1])
                assert all(h in second for h in HEADER), second[:300]        # the header row repeats
                assert "门诊诊查费第0项" not in second and f"第 2 页 / 共 {len(doc)} 页" in second
                assert _qr(doc[0], tmp_path) == [f"http://127.0.0.1:8080/f/GKL1?item={item['id']}&v=1"]
                assert _qr(doc[1], tmp_path) == [f"http://127.0.0.1:8080/f/GKL1?item={item['id']}&v=1"]


def test_refusals_name_what_is_wrong(app, api, tmp_path):
    draft = api.create(title="草稿不能打印")
    assert _print(api, draft["id"]).status_code == 409          # no board yet either: the state is what counts
    _points(app)
    item = _published(api, table=False)
    ok = _print(api, item["id"])                                 # default board: the unit's first
    assert ok.status_code == 200 and "/f/GKL1?item=" in _qr_url(ok.data, tmp_path)
    assert _print(api, draft["id"]).get_json()["code"] == "brd.not_published"
    review = api.create(title="审核中")
    api.act(review["id"], "submit", "alice")
    assert _print(api, review["id"]).status_code == 409
    bad = _print(api, item["id"], size="A5", orientation="sideways")
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"size", "orientation"}
    assert "A4" in bad.get_json()["fields"]["size"]
    assert _print(api, item["id"], board="ZYB2").status_code == 404       # another unit's board
    assert _print(api, item["id"], board="NOPE").status_code == 404
    assert _print(api, item["id"], revision="7").status_code == 404
    assert _print(api, item["id"], revision="x" * 30).status_code == 404
    assert _print(api, item["id"], user="zed").status_code == 404          # another unit's staff
    assert api.call("GET", f"/items/{item['id']}/print.pdf").status_code == 401
    _correct(api, item["id"])
    old = _print(api, item["id"], revision="1")                            # superseded
    assert old.status_code == 409 and "当前公开" in old.get_json()["error"]
    assert _print(api, item["id"], revision="2").status_code == 200
    api.act(item["id"], "withdraw", "dan", "数据有误")
    assert _print(api, item["id"]).status_code == 409 and _print(api, item["id"], revision="2").status_code == 409


def test_a_unit_without_boards_is_told_to_add_one(app, api):
    item = _published(api, table=False)
    resp = _print(api, item["id"])
    assert resp.status_code == 409 and "二维码位置" in resp.get_json()["error"]


def _qr_url(pdf: bytes, tmp_path) -> str:
    return _qr(pdfium.PdfDocument(pdf)[0], tmp_path)[0]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_postings_and_the_tasks_outdated_prints_make(app, api, backend):
    _points(app)
    item = _published(api, table=False)
    other = _published(api, title="门诊时间", table=False)
    with app.app_context():
        s = db.session()
        gk = s.scalar(select(User).where(User.username == "bob"))
        it, ot = s.get(Item, item["id"]), s.get(Item, other["id"])
        postings.record_posting(s, gk, it, board="GKL1", size="a3", orientation="Landscape")
        postings.record_posting(s, gk, it, board="GKL1")   # posted again on the same board: replaces the first
        postings.record_posting(s, gk, ot, board="GKL1")
        rows = postings.for_item(s, s.get(Item, item["id"]))
        assert [r["posting"].paper for r in rows] == ["A4-portrait", "A3-landscape"]
        assert rows[1]["posting"].taken_down_at is not None and rows[1]["posting"].replaced_by == rows[0]["posting"].id
        with pytest.raises(Exception) as refused:
            postings.record_posting(s, gk, it, board="ZYB2")          # another unit's board
        assert refused.value.status == 404
        s.rollback()
        with pytest.raises(Exception) as refused:
            postings.record_posting(s, gk, it, board="GKL1", number=5, posted_at="2999-01-01")
        assert refused.value.status == 422 and set(refused.value.fields) == {"revision", "posted_at"}
        s.rollback()
        assert postings.outdated_for_unit(s, find_unit(s, "H001")) == []
    _correct(api, item["id"])
    api.act(other["id"], "withdraw", "dan", "已停用")
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        tasks = postings.outdated_for_unit(s, unit)
        cal = calendar_for(s)
        by_item = {t["item_id"]: t for t in tasks}
        assert set(by_item) == {item["id"], other["id"]}
        fix, down = by_item[item["id"]], by_item[other["id"]]
        assert (fix["task"], fix["posted_revision"], fix["current_revision"], fix["reason"]) == ("replace", 1, 2, "corrected")
        assert (down["task"], down["current_revision"], down["reason"]) == ("take_down", None, "withdrawn")
        assert fix["board_code"] == "GKL1" and fix["board_name"] == "门诊大厅院务公开栏" and fix["title"] == "医疗服务价格公示"
        today = local(utcnow()).date()
        assert fix["due"] == cal.add_working_days(today, 2) and not fix["overdue"]
        # the withdrawal happened ten days ago: its task is overdue
        for d in s.scalars(select(Decision).where(Decision.action == "withdraw")):
            d.at = d.at - timedelta(days=10)
        for p in s.scalars(select(postings.BoardPosting).where(postings.BoardPosting.item_id == other["id"])):
            p.posted_at = p.posted_at - timedelta(days=20)
        s.commit()
        down = {t["item_id"]: t for t in postings.outdated_for_unit(s, unit)}[other["id"]]
        assert down["overdue"] and down["due"] == cal.add_working_days(local(
            s.scalar(select(Decision.at).where(Decision.action == "withdraw"))).date(), 2)
        # closing: the new revision posted on that board, and the take-down recorded
        bob = s.scalar(select(User).where(User.username == "bob"))
        postings.record_posting(s, bob, s.get(Item, item["id"]), board="GKL1")
        gone = s.get(postings.BoardPosting, down["posting_id"])
        postings.take_down(s, bob, gone)
        with pytest.raises(Exception) as twice:
            postings.take_down(s, bob, gone)
        assert twice.value.status == 409
        s.rollback()
        assert postings.outdated_for_unit(s, unit) == []


def test_the_phone_page_of_a_superseded_or_withdrawn_print(app, api, client):
    _points(app)
    item = _published(api, table=False)
    staff_only = _published(api, category="development-plan", title="内部发展规划QZX", table=False)
    page = client.get(f"/f/GKL1?item={item['id']}&v=1")
    assert page.status_code == 200 and "本张为现行版本" in page.text
    _correct(api, item["id"])
    _correct(api, staff_only["id"])
    page = client.get(f"/f/GKL1?item={item['id']}&v=1")
    assert "本张已有更新版本" in page.text and "第 2 版" in page.text and "医疗服务价格公示" in page.text
    assert "本张为现行版本（第 2 版）" in client.get(f"/f/GKL1?item={item['id']}&v=2").text
    for v in ("abc", "-1", "0", "9" * 40, "2.5", "%00", "99"):
        resp = client.get(f"/f/GKL1?item={item['id']}&v={v}")
        assert resp.status_code in (200, 422) and "paper-state" not in resp.text, v
    hidden = client.get(f"/f/GKL1?item={staff_only['id']}&v=1")       # never public: nothing said
    assert hidden.status_code == 200 and "paper-state" not in hidden.text and "QZX" not in hidden.text
    assert "paper-state" not in client.get(f"/f/ZYB2?item={item['id']}&v=1").text   # another unit's code
    api.act(item["id"], "withdraw", "dan", "价格文件已废止")
    gone = client.get(f"/f/GKL1?item={item['id']}&v=2")
    assert "本张内容已撤销" in gone.text and "价格文件已废止" in gone.text and "医疗服务价格公示" not in gone.text
    assert "本张内容已撤销" in client.get(f"/f/GKL1?item={item['id']}&v=1").text
    english = client.get(f"/f/GKL1?item={item['id']}&v=1&lang=en")
    assert "withdrawn" in english.text


def _png(width=64, height=48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 60)).save(out, "PNG")
    return out.getvalue()


def test_staff_pages_print_record_and_take_down(app, api):
    _points(app)
    item = _published(api, table=False)
    draft = api.create(title="还在起草")
    alice, bob, zed, sue = Staff(app, "alice"), Staff(app, "bob"), Staff(app, "zed"), Staff(app, "sue")
    page = alice.get(f"/admin/items/{item['id']}")
    assert "打印公开栏" in page.text and "门诊大厅院务公开栏" in page.text and "登记张贴" in page.text
    pdf = alice.get(f"/admin/items/{item['id']}/print.pdf?size=A3&orientation=landscape&board=GKL1")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    refused = alice.get(f"/admin/items/{draft['id']}/print.pdf")
    assert refused.status_code == 409 and "只能打印当前公开的版本" in refused.text
    bad = alice.get(f"/admin/items/{item['id']}/print.pdf?size=B5")
    assert bad.status_code == 422 and "纸张只能选" in bad.text
    assert alice.get(f"/admin/items/{item['id']}/print.pdf?board=ZYB2").status_code == 404
    assert zed.get(f"/admin/items/{item['id']}/print.pdf").status_code == 404
    anonymous = Staff(app)
    for path in (f"/admin/items/{item['id']}/print.pdf", "/admin/boards", "/admin/boards/postings/1/photo"):
        resp = anonymous.get(path)
        assert resp.status_code == 302 and "/admin/login" in resp.location, path
    for path in (f"/admin/items/{item['id']}/postings", "/admin/boards", "/admin/boards/postings/1/take-down"):
        resp = anonymous.client.post(path, data={"board": "GKL1", "item": str(item["id"])})
        assert resp.status_code == 302 and "/admin/login" in resp.location, path
    assert zed.post(f"/admin/items/{item['id']}/postings", {"board": "GKL1"}).status_code == 404
    assert sue.post("/admin/boards", {"board": "GKL1", "item": str(item["id"])}).status_code == 403
    assert Staff(app, "carol").get("/admin/boards").status_code == 403      # 保密审查 only: not a board role
    sent = alice.post(f"/admin/items/{item['id']}/postings", {"board": "GKL1", "revision": "1", "size": "A4",
                                                              "orientation": "portrait", "posted_at": "",
                                                              "photo": (io.BytesIO(_png()), "board.png")},
                      content_type="multipart/form-data")
    assert sent.status_code == 302, sent.text
    assert alice.post(f"/admin/items/{item['id']}/postings", {"board": "ZYB2"}).status_code == 404
    broken = alice.post(f"/admin/items/{item['id']}/postings", {"board": "GKL1", "photo": (io.BytesIO(b"not an image"), "x.png")},
                        content_type="multipart/form-data")
    assert broken.status_code == 422 and "照片无法读取" in broken.text
    late = alice.post(f"/admin/items/{item['id']}/postings", {"board": "GKL1", "posted_at": "2999-01-01T09:00"})
    assert late.status_code == 422 and "不能晚于现在" in late.text
    assert sue.post(f"/admin/items/{item['id']}/postings", {"board": "GKL1"}).status_code == 403   # supervisor looks only
    with app.app_context():
        posting = db.session().scalars(select(postings.BoardPosting)).one()
        pid = posting.id
    assert alice.get(f"/admin/boards/postings/{pid}/photo").mimetype == "image/png"
    assert zed.get(f"/admin/boards/postings/{pid}/photo").status_code == 404
    assert zed.post(f"/admin/boards/postings/{pid}/take-down", {}).status_code == 404
    _correct(api, item["id"])
    shown = alice.get(f"/admin/items/{item['id']}")
    assert "更换为第 2 版" in shown.text
    dashboard = bob.get("/admin/compliance")
    assert dashboard.status_code == 200 and "公开栏待更换或撤下" in dashboard.text and "更换为第 2 版" in dashboard.text
    boards = alice.get("/admin/boards")
    assert boards.status_code == 200 and "更换为第 2 版" in boards.text and 'capture="environment"' in boards.text
    assert sue.get("/admin/boards").status_code == 200
    # the phone form at the board: by item number
    assert alice.post("/admin/boards", {"board": "GKL1", "item": "999999"}).status_code == 422
    assert alice.post("/admin/boards", {"board": "GKL1", "item": str(draft["id"])}).status_code == 422
    assert zed.post("/admin/boards", {"board": "GKL1", "item": str(item["id"])}).status_code == 422
    assert alice.post("/admin/boards", {"board": "GKL1", "item": str(item["id"])}).status_code == 302
    assert "公开栏待更换或撤下 <span class=\"count\">0" in alice.get("/admin/boards").text
    down = alice.post(f"/admin/boards/postings/{pid}/take-down", {"back": "item"})
    assert down.status_code == 302       # replaced already: says so, changes nothing
    with app.app_context():
        assert db.session().get(postings.BoardPosting, pid).replaced_by is not None


def test_the_demo_has_an_outdated_board_print(tmp_path):
    from server import create_app
    from server.demo.content import seed_demo
    from server.instance import init_instance
    app = create_app({"SECRET_KEY": "demo-boards"}, instance_path=str(tmp_path / "instance"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    with app.app_context():
        s = db.session()
        tasks = postings.outdated_for_unit(s, find_unit(s, "H001"))
        assert [(t["board_code"], t["title"], t["task"], t["posted_revision"], t["current_revision"]) for t in tasks] == \
            [("GKL1", "便民服务措施", "replace", 1, 2)]
        assert len(postings.for_unit(s, find_unit(s, "H001"))) == 3
    with app.test_request_context():
        s = db.session()
        from server.boards import prints
        from server.demo.boards import CURRENT
        item = s.scalar(select(Item).join(Item.revisions).where(Item.unit_id == find_unit(s, "H001").id)
                        .where(Item.revisions.any(title=CURRENT)).limit(1))
        office = s.scalar(select(User).where(User.username == "gongkai"))
        pdf, _ = prints.print_item(s, office, item, board="GKL1", base_url="http://gk.example", media_dir=app.config["MEDIA_DIR"])
        first = pdfium.PdfDocument(pdf)[0]
        assert "县第一人民医院" in _text(first) and "门诊大厅院务公开栏" in _text(first)
        assert len(list(first.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]))) == 2     # the logo and the QR code
    assert write_print_shot(app, str(tmp_path)).endswith("print-a4.png")   # the README's print
    app.extensions["gongkai.engine"].dispose()


def test_the_print_benchmark_reports_its_figures(capsys):
    from benchmarks import print_pages
    figures = print_pages.main([40])
    out = capsys.readouterr().out
    assert "reads the CJK font" in out and len(figures) == 2 and all(f["pages"] >= 1 and f["kib"] > 0 for f in figures)
