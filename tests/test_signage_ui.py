"""The signage player in a real Kivy window (SDL offscreen + Mesa, no mock GL), with a fake server
clock: slides advance, feeds replace the playlist at the boundary (alerts and withdrawals at once),
windows and opening hours switch on time; screenshots go to tests/artifacts/signage-*.png.

As for the kiosk, Kivy's global state means one Window per process: the single test collected in
a normal run starts this module twice in subprocesses (portrait and landscape, GONGKAI_SIGNAGE_UI=child).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import timedelta

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "tests", "artifacts")   # the README's images: test_readme_screenshots.py
CHILD = os.environ.get("GONGKAI_SIGNAGE_UI") == "child"


if not CHILD:
    @pytest.mark.timeout(600)
    def test_signage_ui_in_a_real_window(tmp_path):
        """Portrait runs every test; landscape (its own window) runs the tests named *_both."""
        from kivy_windows import run_in_windows
        run_in_windows(__file__, lambda size: {"GONGKAI_SIGNAGE_UI": "child", "GONGKAI_SIGNAGE_SIZE": size},
                       tmp_path, timeout=540)

else:
    from screen.env import prepare_kivy_env

    prepare_kivy_env(os.environ["KIVY_HOME"])
    from screen.fonts import register_cjk_font
    from kivy.config import Config

    SIZE = tuple(int(v) for v in os.environ.get("GONGKAI_SIGNAGE_SIZE", "1080x1920").split("x"))
    ORIENT = "portrait" if SIZE[1] >= SIZE[0] else "landscape"
    Config.set("graphics", "width", str(SIZE[0]))
    Config.set("graphics", "height", str(SIZE[1]))
    register_cjk_font()

    from kivy.base import EventLoop
    from kivy.core.text import LabelBase
    from kivy.core.window import Window
    from kivy.uix.label import Label
    from PIL import Image as PILImage, ImageFont

    from screen import pacing, present
    from screen.sync import SyncClient
    from signage.app import SignageApp
    from signage.slides import ImageSlide, NoticeSlide, StatsSlide, TableSlide
    from signage.textfit import CUT_HINT
    import kiosk_fixtures as kf
    import signage_fixtures as sf
    from kivy_windows import opaque, save_screenshot, walk

    class FakeNow:
        """Server time that moves only when the test says so."""

        def __init__(self, start=sf.NOW):
            self.t = start

        def __call__(self):
            return self.t

        def advance(self, seconds):
            self.t += timedelta(seconds=seconds)

    class Uploads(list):
        def __call__(self, png):
            self.append(png)
            return 201

    def frames(n=3):
        from kivy.graphics.opengl import glFinish
        for _ in range(n):
            EventLoop.idle()
            glFinish()  # llvmpipe would otherwise queue frames and stall much later

    def settle(app, limit=200):
        """Frames until the prepared next slide (decoded in a thread) is ready."""
        for _ in range(limit):
            nxt = app.player.next_widget
            cur = app.player.current_widget
            if (nxt is None or nxt.ready) and (cur is None or cur.ready):
                break
            frames(1)
        frames(3)

    def step(app, now, seconds):
        now.advance(seconds)
        app.tick()
        settle(app)

    @pytest.fixture
    def make_app():
        apps = []

        def make(data_dir, now=None, sync=None):
            assert tuple(Window.size) == SIZE
            sync = sync or SyncClient("http://127.0.0.1:9", str(data_dir), kind="signage", screen=SIZE)
            app = SignageApp(sync, server_url="http://gk.example", data_dir=str(data_dir), now=now or FakeNow(),
                             upload=Uploads(), tick_seconds=3600)
            app._run_prepare()
            settle(app)
            apps.append(app)
            return app
        yield make
        for app in apps:
            app.dispatch("on_stop")
            Window.unbind(size=app._resized)
            app.pairing.on_leave()
            Window.remove_widget(app.root)
            app.sync.close()
        frames(2)

    @pytest.fixture
    def data(tmp_path):
        items, playlist = sf.standard(tmp_path)
        sf.write_manifest(tmp_path, items, playlist, ticker=sf.TICKER)
        return tmp_path

    def visible(widget):
        return opaque(widget) and widget.width > 1 and widget.height > 1

    def texts(app):
        return [w.text for w in walk(app.root) if isinstance(w, Label) and visible(w) and w.text]

    def screenshot(name):
        """tests/artifacts/signage-<name>-<orientation>.png, exactly what the window shows."""
        frames(3)
        save_screenshot(os.path.join(SHOTS, f"signage-{name}-{ORIENT}.png"))

    def window_pixels():
        folder = tempfile.mkdtemp()
        path = Window.screenshot(name=os.path.join(folder, "shot.png"))
        with PILImage.open(path) as img:
            img = img.convert("RGB")
        shutil.rmtree(folder, ignore_errors=True)
        return img

    def fits(label):
        """Every line of the label's text was drawn (none dropped for lack of room) and together
        they are not taller than the label."""
        import re
        from kivy_windows import drawn_lines
        lines = label._label._cached_lines
        shown_text = "".join(drawn_lines(label)).replace(" ", "")
        visible = re.sub(r"\[/?[a-z]+\]", "", label.text).replace("&bl;", "[").replace("&br;", "]")
        visible = visible.replace("&amp;", "&").replace("\n", "").replace(" ", "")
        return shown_text == visible and 0 < sum(line.h for line in lines) <= label.height + 1

    def assert_cjk(app):
        checked = 0
        for label in walk(app.root):
            if isinstance(label, Label) and visible(label) and any("\u4e00" <= c <= "\u9fff" for c in label.text):
                files = LabelBase._fonts.get(label.font_name)
                font = ImageFont.truetype(files[0] if files else label.font_name, 40)
                assert bytes(font.getmask("院")) != bytes(font.getmask("\U0010fffd")), label.font_name
                checked += 1
        assert checked

    def assert_corner_qr(widget, url):
        qr = widget.ids.qr
        assert qr.texture is not None and visible(qr) and widget.qr_url == url
        x, y = qr.to_window(*qr.pos)
        assert x + qr.width > Window.width * 0.75 and y < Window.height * 0.3  # bottom-right corner
        assert "扫码留言" in [w.text for w in walk(widget) if isinstance(w, Label)]

    def assert_inside(widget):
        """Every visible label of the slide lies inside the window and its text inside the label."""
        for w in walk(widget):
            if isinstance(w, Label) and visible(w) and w.text:
                x, y = w.to_window(*w.pos)
                assert x >= -1 and y >= -1 and x + w.width <= Window.width + 1 and y + w.height <= Window.height + 1, w.text[:20]
                assert w.texture_size[1] <= w.height + 2 or not w.text_size[1] is None, w.text[:20]

    # ---- tests ----------------------------------------------------------------------------------
    def test_pairing_until_approved_then_plays_both(tmp_path, make_app):
        from device_fakes import FakeServer
        server = FakeServer()
        server.server_time = sf.NOW
        sync = SyncClient("http://gk.example", str(tmp_path), kind="signage", screen=SIZE, transport=server.transport)
        app = make_app(tmp_path, sync=sync)
        sync.on_status, sync.on_manifest = app.on_sync_status, app.on_sync_manifest
        assert app.sm.current == "pairing"
        assert sync.enrol_step() == "pending"
        app.pairing.refresh()
        frames(3)
        assert app.pairing.ids.code.text == "0 0 0 0 0 1"
        assert_cjk(app)
        screenshot("pairing")
        server.approve(sync.device_id)
        assert sync.enrol_step() == "active"
        items, playlist = sf.standard(tmp_path / "src")
        sf.write_manifest(tmp_path / "src", items, playlist)
        for name in os.listdir(tmp_path / "src" / "media"):    # images, and the feed's pages
            server.media[name] = (tmp_path / "src" / "media" / name).read_bytes()
        import json
        manifest = json.loads((tmp_path / "src" / "manifest.json").read_text())
        server.manifest = {k: v for k, v in manifest.items() if k != "signature"}
        assert sync.sync_once()
        frames(4)
        assert app.sm.current == "player" and app.player.current.item == 1

    def test_every_slide_type_with_qr_then_screenshots_both(data, make_app):
        now = FakeNow()
        app = make_app(data, now)
        player = app.player
        seen = []
        for _ in range(20):
            slide, widget = player.current, player.current_widget
            assert widget.parent == player.ids.stage and player.ids.stage.children[0] is widget  # on top
            assert_corner_qr(widget, f"{kf.FEEDBACK}?item={slide.item}")
            assert_inside(widget)
            name = slide.kind
            if (slide.kind, slide.part) not in seen:
                seen.append((slide.kind, slide.part))
                if slide.part == 0:
                    assert_cjk(app)
                    screenshot(name)
            if isinstance(widget, NoticeSlide):
                body = widget.ids.body
                assert fits(body) and body.font_size >= int(34 * player.u)
                assert "冬季门诊时间调整" in body.text and CUT_HINT not in body.text
            if isinstance(widget, ImageSlide):
                assert widget.texture is not None and not widget.missing
                assert max(widget.texture.size) <= max(SIZE)  # decoded at screen size
            if isinstance(widget, TableSlide):
                cells = [w for w in walk(widget.ids.grid) if isinstance(w, Label)]
                assert cells and min(c.font_size for c in cells) >= int(30 * player.u)  # never shrunk
                assert widget.ids.grid.y >= widget.area[1] - 1  # the page fits above the footer
                body = [c for c in cells if "\n" in c.text]
                assert body and all(c.texture_size[1] <= widget.pitch * len(widget.rows) for c in body)
                assert "共 60 行" in widget.page_text
            if isinstance(widget, StatsSlide):
                assert ["42", "39", "97.4%", "91.2%"] == [v for _, v, _ in widget.figures]
            assert player.next_widget is None or player.next_widget.parent == player.ids.stage
            step(app, now, slide.duration)
            if player.current.item == 1 and seen:
                break
        kinds = [k for k, _ in seen]
        assert kinds[:3] == ["notice", "image", "document"] and "table" in kinds and "stats" in kinds
        assert ("document", 1) in seen and ("table", 1) in seen
        assert "冬季门诊时间调整：上午8:00开诊" in player.ticker_text and visible(player.ids.ticker)

    ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")

    def artifact(name):
        """tests/artifacts/signage-<name>-<orientation>.png, to look at (not committed)."""
        frames(3)
        os.makedirs(ARTIFACTS, exist_ok=True)
        save_screenshot(os.path.join(ARTIFACTS, f"signage-{name}-{ORIENT}.png"))

    def test_branded_header_readable_stats_and_table_before_its_image_both(tmp_path, make_app):
        """The unit's logo, name and colour in the header; the statistics slide in large figures of
        the unit's colour; an item with a table and an image plays its table first, then the image."""
        from kivy.graphics import Color
        from signage.slides import ImageSlide, StatsSlide, TableSlide
        items, _ = sf.standard(tmp_path)
        stats, table = items[4], items[3]
        table["media"] = list(items[1]["media"])                # a price list that also has a picture
        brand = kf.branding(tmp_path)
        sf.write_manifest(tmp_path, items, [sf.entry(stats, "stats", order=0), sf.entry(table, "table", order=1)],
                          brand=brand)
        now = FakeNow()
        app = make_app(tmp_path, now)
        player = app.player
        teal = (0.0, round(0x69 / 255, 3), round(0x5c / 255, 3), 1.0)
        header = player.ids.header
        assert teal in [tuple(round(v, 3) for v in c.rgba) for c in header.canvas.before.children if isinstance(c, Color)]
        logo = player.ids.logo
        assert visible(logo) and logo.texture is not None and logo.source == app.sync.media_path(brand["logo"]["sha256"])
        assert player.ids.unit_name.text == "杭州市第一人民医院"
        widget = player.current_widget
        assert isinstance(widget, StatsSlide)
        values = [w for w in walk(widget) if isinstance(w, Label) and w.text in ("42", "39", "97.4%", "91.2%")]
        assert len(values) == 4 and all(w.font_size >= 100 * player.u for w in values)
        assert all(tuple(round(v, 3) for v in w.color) == teal for w in values)
        assert all(fits(w) or w.texture_size[0] <= w.width for w in values)
        assert "按时办结率" in texts(app) and "在法定期限内答复" in texts(app)
        assert tuple(round(v, 3) for v in widget.ids.title.color) == teal
        assert_cjk(app)
        artifact("stats-branded")
        kinds = []
        for _ in range(12):
            step(app, now, player.current.duration)
            if player.current.item != table["id"]:
                break
            kinds.append(type(player.current_widget))
            if len(kinds) == 1:
                artifact("table-branded")
        assert kinds[0] is TableSlide and kinds[-1] is ImageSlide and kinds.count(ImageSlide) == 1
        assert all(k is TableSlide for k in kinds[:-1])

    def test_slides_advance_exactly_and_the_next_is_prepared(data, make_app):
        now = FakeNow()
        app = make_app(data, now)
        player = app.player
        assert player.current.item == 1
        prepared = player.next_widget
        assert prepared is not None and prepared.slide.item == 2 and prepared.ready
        assert prepared.texture is not None  # decoded before the notice ends
        stage = player.ids.stage.children
        assert stage.index(prepared) > stage.index(player.current_widget)  # beneath the current one
        step(app, now, 9.9)
        assert player.current.item == 1
        pixels_before = window_pixels()
        step(app, now, 0.1)
        assert player.current.item == 2 and player.current_widget is prepared  # no rebuild at the cut
        after = window_pixels()
        dark = sum(1 for p in after.resize((64, 64)).getdata() if sum(p) < 60)
        assert dark < 64 * 64 * 0.2 and pixels_before.getbbox()  # no black frame at the cut
        for _ in range(4):
            step(app, now, player.current.duration)
        app.dispatch("on_stop")  # the showing in progress is closed and the batch queued
        records = [r for b in app.sync._outbox.pending() if b["type"] == "play" for r in b["records"]]
        assert len(records) == 6
        assert records[0] == {"item": 1, "revision": 1, "start": sf.NOW.isoformat(), "duration": 10.0}
        assert [r["duration"] for r in records] == [10.0] * 5 + [0.0]

    def test_new_feed_at_boundary_withdraw_at_once(tmp_path, make_app):
        items, playlist = sf.standard(tmp_path)
        pem, public = sf.write_manifest(tmp_path, items, playlist)
        now = FakeNow()
        app = make_app(tmp_path, now)
        player = app.player
        step(app, now, 10)
        assert player.current.item == 2
        # a new feed: the notice moves last; the image keeps playing until its end
        playlist2 = [dict(e, order=9) if e["item"] == 1 else e for e in playlist]
        sf.write_manifest(tmp_path, items, playlist2, version=2, pem=pem, public=public)
        app.apply_manifest(app.sync.cached_manifest())
        settle(app)
        assert player.current.item == 2
        step(app, now, 5)
        assert player.current.item == 2
        step(app, now, 5)
        assert player.current.item == 3
        # withdrawn on the server: gone at once, without waiting for the slide's end
        playlist3 = [e for e in playlist2 if e["item"] != 3]
        sf.write_manifest(tmp_path, [i for i in items if i["id"] != 3], playlist3, version=3, pem=pem, public=public)
        app.apply_manifest(app.sync.cached_manifest())
        frames(2)
        assert player.current.item == 4
        assert all(s.item != 3 for s in player.slides) and player.next_slide.item != 3
        assert not [t for t in texts(app) if "便民服务手册" in t]

    def test_windows_and_dayparts_switch_on_time(tmp_path, make_app):
        items, playlist = sf.standard(tmp_path)
        notice, picture = playlist[0], playlist[1]
        notice["window"] = {"start": (sf.NOW + timedelta(seconds=30)).isoformat(),
                            "end": (sf.NOW + timedelta(seconds=95)).isoformat()}
        picture["dayparts"] = [{"days": [1], "from": "10:00", "to": "10:01"}]
        sf.write_manifest(tmp_path, items, [notice, picture])
        now = FakeNow()
        app = make_app(tmp_path, now)
        player = app.player
        assert player.current.item == 2 and player.deadline == sf.NOW + timedelta(seconds=30)
        step(app, now, 29.9)
        assert [s.item for s in player.pending or player.slides] == [2]
        step(app, now, 0.1)  # the notice's window opens: it joins at the next boundary
        assert [s.item for s in player.pending or player.slides] == [1, 2] and player.next_slide.item == 1
        step(app, now, 30)  # 10:01: the daypart ends, the image leaves at once
        assert [s.item for s in player.slides] == [1] and player.current.item == 1
        step(app, now, 35)  # 10:01:35: the window ends
        assert player.current is None and player.empty
        assert "暂无播放内容" in " ".join(texts(app))

    def test_alert_covers_everything_at_once_until_cleared_both(tmp_path, make_app):
        items, playlist = sf.standard(tmp_path)
        pem, public = sf.write_manifest(tmp_path, items, playlist, ticker=sf.TICKER)
        now = FakeNow()
        app = make_app(tmp_path, now)
        sf.write_manifest(tmp_path, items, playlist, ticker=sf.TICKER, version=2, pem=pem, public=public,
                          alert={"id": 3, "title": "消防演练", "body": "10:30 起进行消防疏散演练，请听从工作人员指挥，"
                                 "沿安全出口有序撤离，勿乘电梯。", "since": sf.NOW.isoformat()})
        app.apply_manifest(app.sync.cached_manifest())  # no tick, no frame needed to decide
        alert = app.overlays["alert"]
        assert app.root.children[0] is alert and alert.size == app.root.size
        frames(3)
        img = window_pixels().resize((40, 40))
        red = sum(1 for r, g, b in img.getdata() if r > 120 and g < 60 and b < 60)
        assert red > 40 * 40 * 0.6  # the alert covers the screen
        assert "消防演练" in texts(app) and fits(alert.ids.body)
        app.run_command("identify")
        assert app.root.children[0] is alert  # still above everything
        screenshot("alert")
        app.hide_overlay("identify")
        sf.write_manifest(tmp_path, items, playlist, version=3, pem=pem, public=public)
        app.apply_manifest(app.sync.cached_manifest())
        assert "alert" not in app.overlays

    def test_night_mode_outside_opening_hours_both(tmp_path, make_app, monkeypatch):
        import shlex
        log = tmp_path / "display.log"
        for state in ("OFF", "ON"):
            code = f"open({str(log)!r}, 'a').write({state!r} + ' ')"
            monkeypatch.setenv(f"GONGKAI_DISPLAY_{state}", f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}")
        items, playlist = sf.standard(tmp_path)
        sf.write_manifest(tmp_path, items, playlist, ticker=sf.TICKER, opening_hours=[
            {"days": [1, 2, 3, 4, 5, 6, 7], "from": "07:30", "to": "18:00"}])
        now = FakeNow(sf.NOW.replace(hour=17, minute=59, second=50))
        app = make_app(tmp_path, now)
        assert "night" not in app.overlays and app.player.current is not None
        assert app.player.ids.ticker.running
        step(app, now, 10)
        night = app.overlays["night"]
        assert app.player.current is None and night.clock == "18:00"
        # nothing moves beneath the black: no ticker frames, no player in the window, a slow loop
        assert not app.player.ids.ticker.running and app.sm.parent is None
        assert pacing.rate() == pacing.IDLE_FPS
        img = window_pixels()
        assert sum(1 for p in img.resize((40, 40)).getdata() if sum(p) < 30) > 40 * 40 * 0.95
        screenshot("night")
        step(app, now, 3600)
        step(app, now, 12.5 * 3600)  # 07:30 next morning
        assert "night" not in app.overlays and app.player.current.item == 1
        assert app.sm.parent is app.root and app.player.ids.ticker.running and pacing.rate() != pacing.IDLE_FPS
        import time
        for _ in range(100):
            if log.exists() and log.read_text() == "OFF ON ":
                break
            time.sleep(0.05)
        assert log.read_text() == "OFF ON "  # the panel switched off once at 18:00, on at 07:30

    def test_remote_commands(data, make_app):
        now = FakeNow()
        app = make_app(data, now)
        assert app.run_command("identify")
        frames(2)
        assert "门诊大厅信息屏" in texts(app) and "S9X4" in texts(app)
        screenshot("identify")
        step(app, now, 9.9)
        assert "identify" in app.overlays
        step(app, now, 0.1)
        assert "identify" not in app.overlays
        assert app.run_command("screenshot")
        for _ in range(50):
            if app.upload:
                break
            frames(1)
        [png] = app.upload
        with PILImage.open(__import__("io").BytesIO(png)) as shot:
            assert shot.size == tuple(Window.size)
        assert app.run_command("reload") and app.player.current.item == 1
        assert not app.run_command("self-destruct")

    def test_chinese_line_breaking_with_the_demo_texts_both(tmp_path, make_app):
        """Notice slides with the demo's own texts, and the alert: every label's drawn lines follow
        screen/linebreak.py's rules (kivy_windows.line_break_problems)."""
        from demo_texts import demo_texts
        from kivy_windows import line_break_problems
        texts = demo_texts() + [("关于冬季门诊时间调整的通知", sf.NOTICE_BODY)]
        items = [kf.item(100 + n, "notices", title, body) for n, (title, body) in enumerate(texts)]
        for it in items:
            it["window"], it["published_at"] = {"start": None, "end": None}, sf.NOW.isoformat()
        playlist = [sf.entry(it, "notice", duration=10, order=n) for n, it in enumerate(items)]
        sf.write_manifest(tmp_path, items, playlist, alert={
            "id": 9, "title": "消防演练", "body": "10:30 起进行消防疏散演练，请听从工作人员指挥，有序从最近的安全出口离开。"})
        now = FakeNow()
        app = make_app(tmp_path, now)
        frames(2)
        alert = app.overlays["alert"]
        problems = [p for w in walk(alert) if isinstance(w, Label) for p in line_break_problems(w)]
        assert any(len(w._label._cached_lines) > 1 for w in walk(alert) if isinstance(w, Label))
        app.manifest = dict(app.manifest, alert=None)  # cleared: the slides beneath
        app.update_alert()
        seen = set()
        for _ in range(len(items)):
            widget = app.player.current_widget
            seen.add(app.player.current.item)
            problems += [p for w in walk(widget) if isinstance(w, Label) for p in line_break_problems(w)]
            step(app, now, 10)
        assert len(seen) == len(items)
        assert not problems, "\n".join(problems[:20])

    def test_no_offline_wording_for_patients_a_discreet_mark_after_ten_minutes(data, make_app):
        now = FakeNow()
        app = make_app(data, now)  # no server at all: playing from the cache
        frames(2)
        assert app.contact_mark == "" and not [t for t in texts(app) if "离线" in t]
        app.sync._last_contact -= present.OFFLINE_MARK_SECONDS - 5
        step(app, now, 1)
        assert app.contact_mark == ""
        app.sync._last_contact -= 5
        step(app, now, 1)
        mark = app.player.ids.contact_mark
        assert app.contact_mark == present.OFFLINE_MARK and mark.opacity > 0 and mark.texture_size[0] > 0
        assert not [t for t in texts(app) if "离线" in t]

    def test_hostile_content_never_crashes(tmp_path, make_app):
        items = [kf.item(n, "conduct", t, b) for n, t, b in (
            (20, "[b]粗体[/b] [color=ff0000]红字", "正文 [i]斜体"), (21, "超长正文", "很长的正文。" * 200_000),
            (24, None, None))] + [kf.item(22, "conveniences", "缺失的图片", "", media=[
                {"sha256": "ab" * 32, "type": "image/png"}, {"sha256": "zz", "type": "application/pdf"}]),
            kf.item(23, "conveniences", "参差不齐的表格", "", table={"columns": ["甲", "乙"], "rows": [
                ["1"], ["1", "2", "3"], [], "not a row", {"甲": "x"}, [None, 5]]})]
        items[2]["title"] = None
        sha = kf.store_media(tmp_path, b"\x89PNG not really")
        items.append(kf.item(25, "conveniences", "坏图片", "", media=[{"sha256": sha, "type": "image/png"}]))
        playlist = [{"item": 20, "slide": "notice"}, {"item": 21, "slide": "notice", "duration": 0},
                    {"item": 24, "slide": "table"}, {"item": 22, "slide": "image"}, {"item": 22, "slide": "document"},
                    {"item": 23, "slide": "table"}, {"item": 25, "slide": "image"}, {"item": 99, "slide": "stats"},
                    {"item": 20, "slide": "video"}, "junk", {"item": {"x": 1}}]
        sf.write_manifest(tmp_path, items, playlist, ticker=[{"text": "[b]" * 50}, None],
                          alert=None)
        now = FakeNow()
        app = make_app(tmp_path, now)
        shown = []
        for _ in range(12):
            shown.append((app.player.current.item, app.player.current.kind))
            widget = app.player.current_widget
            if isinstance(widget, NoticeSlide) and app.player.current.item == 21:
                assert widget.ids.body.text.endswith(CUT_HINT)
                assert fits(widget.ids.body)
            step(app, now, app.player.current.duration)
        assert (20, "notice") in shown and (21, "notice") in shown and (23, "table") in shown
        assert (25, "image") in shown and any(i == 99 for i, _ in shown)
        step(app, now, 0)
        while app.player.current.item != 20:
            step(app, now, app.player.current.duration)
        body = app.player.current_widget.ids.body
        assert "&bl;i&br;" in body.text and "[i]" not in body.text  # feed markup shows as typed

    # ---- end to end: the real server over HTTP ------------------------------------------------
    @pytest.fixture
    def server_url(app):
        import threading
        from werkzeug.serving import make_server
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()

    def pump_until(predicate, timeout=15.0):
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames(1)
            if predicate():
                return True
            time.sleep(0.01)
        return False

    def test_end_to_end_publish_plays_withdraw_leaves_at_once(api, server_url, tmp_path, make_app):
        """Real server, real HTTP, event stream: publish → the slide plays; withdraw → it is cut in
        the frame the new manifest arrives (no waiting for the slide's end)."""
        import time
        sync = SyncClient(server_url, str(tmp_path), kind="signage", screen=SIZE)
        assert sync.enrol_step() == "pending"
        [pending] = [d for d in api.call("GET", "/devices", "root").get_json() if d["pairing_code"] == sync.pairing_code]
        assert api.call("POST", f"/devices/{pending['device_id']}/approve", "root", json={
            "name": "大厅信息屏", "audiences": ["public", "patients"], "groups": ["大厅"]}).status_code == 200
        assert sync.enrol_step() == "active"
        app = make_app(tmp_path, now=sync.server_now, sync=sync)
        sync.on_manifest, sync.on_status = app.on_sync_manifest, app.on_sync_status
        sync.start()
        assert pump_until(lambda: sync.connected and app.manifest is not None)
        stay = api.create(title="门诊时间调整", body="上午 8:00 开诊。",
                          signage={"enabled": True, "slide": "notice", "duration": 300, "order": 1})
        api.publish(stay["id"])
        assert pump_until(lambda: app.player.current is not None and app.player.current.item == stay["id"])
        item = api.create(title="CT检查预约须知（信息屏）", body="检查前请去除金属物品。",
                          signage={"enabled": True, "slide": "notice", "duration": 300, "order": 0})
        api.publish(item["id"])
        assert pump_until(lambda: any(s.item == item["id"] for s in app.player.pending or ()))
        assert app.player.current.item == stay["id"]  # the new feed waits for the slide boundary
        while app.player.current.item != item["id"]:
            app.player.advance(app.now())
        settle(app)
        assert any("CT检查预约须知（信息屏）" in t for t in texts(app))
        applied = []
        original = app.apply_manifest
        app.apply_manifest = lambda m: (original(m), applied.append(app.player.current.item))
        t0 = time.perf_counter()
        assert api.act(item["id"], "withdraw", "erin", comment="预约方式已调整").status_code == 200
        assert pump_until(lambda: app.player.current is not None and app.player.current.item != item["id"])
        seconds = time.perf_counter() - t0
        assert applied and applied[0] == stay["id"]  # cut in the same call that applied the feed
        assert not any("CT检查预约须知（信息屏）" in t for t in texts(app))
        print(f"withdraw -> slide gone: {seconds * 1000:.0f} ms")
