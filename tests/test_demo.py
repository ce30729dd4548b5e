"""The demo instance: a bureau with two hospitals, staff for every role, items in every state."""
from sqlalchemy import func, select

from server import create_app, db
from server.audit import verify
from server.demo.content import seed_demo
from server.instance import init_instance
from server.models import Item, Revision, Unit, User


def test_demo_has_every_state_and_seeds_once(tmp_path):
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    accounts = seed_demo(app)
    with app.app_context():
        s = db.session()
        statuses = set(s.scalars(select(Revision.status)))
        assert statuses == {"draft", "submitted", "reviewed", "cleared", "approved", "scheduled",
                            "published", "expired", "withdrawn", "superseded"}
        units = {u.code: u for u in s.scalars(select(Unit))}
        assert units["BUREAU"].kind == "bureau"
        assert units["H001"].parent_id == units["BUREAU"].id == units["H002"].parent_id
        roles = {g.role for u in s.scalars(select(User)) for g in u.grants}
        assert roles >= {"contributor", "reviewer", "confidentiality", "approver", "supervisor",
                         "admin", "handler"}
        assert s.scalar(select(func.count()).select_from(Item).where(Item.kind == "notice")) == 2
        assert verify(s) == []
        from server.hearing.feedback import today
        from server.oversight import submissions
        jiwei = s.scalar(select(User).where(User.username == "jiwei"))   # the bureau's supervisor
        sent = {line["unit"].code: line["cells"][1]["state"]              # last month, per hospital
                for line in submissions.overview(s, jiwei, units["BUREAU"], today(), 2)["units"]}
        assert sent["H001"] == "on_time" and sent["H002"] in ("overdue", "open")
        counts = (s.scalar(select(func.count()).select_from(Item)), len(accounts))
    assert seed_demo(app) == accounts   # running the demo again keeps the data as it is
    with app.app_context():
        assert s.scalar(select(func.count()).select_from(Item)) == counts[0]
    app.extensions["gongkai.engine"].dispose()


def test_demo_accounts_can_log_in(tmp_path):
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    accounts = seed_demo(app)
    client = app.test_client()
    for name, password, _, _ in accounts:
        assert client.post("/api/v1/tokens", json={"username": name, "password": password}).status_code == 201
    token = client.post("/api/v1/tokens", json={"username": "jiwei", "password": accounts[0][1]}).get_json()
    # the bureau's supervisor sees the member hospitals' items
    items = client.get("/api/v1/items", headers={"Authorization": f"Bearer {token['token']}"}).get_json()
    assert any(i["unit"] == "H001" for i in items)
    app.extensions["gongkai.engine"].dispose()


def test_demo_approves_only_its_own_screen(tmp_path):
    from server.demo.screens import approve_if_pending
    from server.screens.models import Device
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    client = app.test_client()
    mine = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}}).get_json()
    other = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}}).get_json()
    assert approve_if_pending(app, mine["device_id"], {"name": "演示", "audiences": ["public"]}) is True
    assert approve_if_pending(app, "no-such-device", {"audiences": ["public"]}) is False
    with app.app_context():
        s = db.session()
        assert s.get(Device, mine["device_id"]).status == "active"
        assert s.get(Device, other["device_id"]).status == "pending"
    assert client.get(mine["poll"]).status_code == 200
    app.extensions["gongkai.engine"].dispose()


def test_demo_shows_the_staff_first_example(tmp_path):
    """先内后外 in the demo: the item is on staff screens now and reaches patients' and public screens
    only at its step (issue 14: the server, not the screen, holds it back)."""
    from datetime import timedelta
    from content.model import Audience, AudiencePlan, Window
    from content.visibility import screen_may_receive
    from server.demo.content import STAGED_AFTER, STAGED_TITLE
    from server.screens.device_feed import preview_manifest
    from server.screens.device_info import by_id
    from server.screens.models import Device
    from server.screens.push import current_mark
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    with app.app_context():
        s = db.session()
        h1 = s.scalar(select(Unit).where(Unit.code == "H001"))
        for name, audiences in (("staff", ["staff"]), ("lobby", ["patients", "public"])):
            s.add(Device(id=name, kind="kiosk", screen_w=800, screen_h=600, status="active", pairing_code="X",
                         unit=h1, screen_code=name.upper(), audiences=audiences))
        s.commit()
        mark = current_mark(s)

        def titles(device_id):
            manifest = preview_manifest(s, by_id(s, device_id, mark.device_epoch), mark.version)
            return {i["title"] for i in manifest["items"]}
        assert STAGED_TITLE in titles("staff") and STAGED_TITLE not in titles("lobby")
        rev = s.scalar(select(Revision).where(Revision.title == STAGED_TITLE))
        plan, window = AudiencePlan.from_list(rev.audiences), Window(rev.window_start, rev.window_end)
        step = max(st.at for st in plan.steps if st.at is not None)
        assert step - rev.published_at > STAGED_AFTER - timedelta(minutes=5)
        lobby = {Audience.PATIENTS, Audience.PUBLIC}
        assert not screen_may_receive(rev.status, plan, window, lobby, step - timedelta(seconds=1))
        assert screen_may_receive(rev.status, plan, window, lobby, step)
    app.extensions["gongkai.engine"].dispose()


def test_demo_price_list_reads_like_a_real_one():
    """Real codes and names, no numbered copies: every row a line a hospital would print."""
    import re
    from server.demo.content import price_table
    from server.demo.schedules import DAYS, drug_table, schedule_table
    table = price_table()
    rows = table["rows"]
    assert table["columns"] == ["项目编码", "项目名称", "计价单位", "价格（元）", "医保类别", "说明"]
    assert 200 <= len(rows) <= 1000
    assert all(len(r) == 6 for r in rows)
    assert all(re.fullmatch(r"\d{9}", r[0]) for r in rows), [r[0] for r in rows if not re.fullmatch(r"\d{9}", r[0])]
    assert all(re.fullmatch(r"\d+\.\d\d", r[3]) and float(r[3]) > 0 for r in rows)
    assert {r[4] for r in rows} == {"甲", "乙", "丙"}
    names = [r[1] for r in rows]
    assert len(set(names)) == len(names), "a name listed twice"
    assert not [n for n in names if re.search(r"（\d+类）|\d+$|[A-Za-z]\d+$", n)], "numbered dummy rows"
    assert {"血细胞分析（血常规）", "普通门诊诊察费", "X线计算机体层（CT）平扫（头颅）"} <= set(names)
    assert len({r[0][:2] for r in rows}) >= 6   # 诊察, 护理治疗, 影像, 检验, 手术, 康复, 中医…
    drugs = drug_table()["rows"]
    assert len(drugs) >= 30 and all(len(r) == 7 and r[3].endswith(("公司", "集团")) for r in drugs)
    schedule = schedule_table()
    assert schedule["columns"][3:] == DAYS
    assert all(any(r[3:]) and set(r[3:]) <= {"", "上午", "下午", "全天"} for r in schedule["rows"])


def test_demo_pictures_are_drawn_with_a_cjk_font_and_stable():
    """The pictures are real PNGs (and a PDF of two pages), the same bytes each time, with Chinese
    drawn: the glyph of 院 differs from the missing-glyph box of the font used."""
    import io
    from PIL import Image
    from server.demo import pictures
    from server.demo.texts import DISCLOSURE_RULES
    f = pictures.font(40)
    assert bytes(f.getmask("院")) != bytes(f.getmask("\U0010fffd"))
    for draw in (pictures.floor_guide, pictures.notice_poster, pictures.visits_chart):
        data = draw()
        assert data == draw()
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "PNG" and min(im.size) >= 800
            assert len(im.convert("RGB").getcolors(1 << 20)) > 50   # drawn, not a flat placeholder
    import pypdfium2
    pdf = pypdfium2.PdfDocument(pictures.rules_pdf("院务公开制度", DISCLOSURE_RULES))
    assert len(pdf) == 2
    for page in pdf:
        grey = page.render(scale=0.2).to_pil().convert("L")
        dark = sum(1 for v in grey.getdata() if v < 128)
        assert 0.005 < dark / (grey.width * grey.height) < 0.3   # a page of text, not blank, not black


def test_every_kiosk_tile_has_a_published_public_item(tmp_path):
    """The kiosk home of a lobby screen (patients and public) shows no empty category of the demo."""
    import json
    from content.feedpages import hydrate
    from screen.present import public_tiles
    from server.screens.device_feed import build_device_feed
    from server.screens.device_info import by_id
    from server.screens.models import Device
    from server.screens.push import current_mark
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    with app.app_context():
        s = db.session()
        h1 = s.scalar(select(Unit).where(Unit.code == "H001"))
        s.add(Device(id="lobby", kind="kiosk", screen_w=1080, screen_h=1920, status="active", pairing_code="X",
                     unit=h1, screen_code="LOBBY", audiences=["patients", "public"], groups=["大厅"]))
        s.commit()
        mark = current_mark(s)
        feed = build_device_feed(s, by_id(s, "lobby", mark.device_epoch), mark)
        manifest = hydrate(json.loads(feed.body), feed.read)
    tiles = public_tiles(manifest, manifest["items"])
    assert len(tiles) >= 15
    assert not [t.name for t in tiles if not t.count]
    titles = {i["title"] for i in manifest["items"]}
    assert {"2026 年医疗服务项目价格公示", "常用药品价格公示（2026 年 11 月）", "本周专家门诊排班",
            "门诊楼楼层导引", "院务公开制度"} <= titles
    slides = {e["slide"] for e in manifest["playlist"]}
    assert slides >= {"notice", "image", "document", "table", "stats"}
    app.extensions["gongkai.engine"].dispose()
