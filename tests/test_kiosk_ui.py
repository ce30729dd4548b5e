"""The kiosk in a real Kivy window (SDL offscreen + Mesa, no dummy driver, no mock GL), driven by
simulated touches and a fake idle clock; screenshots go to tests/artifacts/kiosk-*.png.

Kivy keeps global state (one Window per process, Clock, Builder rules, logging), so in the normal
test run this module has a single test that runs the module again in a subprocess with
GONGKAI_KIOSK_UI=child; only there are the Kivy tests below collected.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "tests", "artifacts")   # the README's images: test_readme_screenshots.py
CHILD = os.environ.get("GONGKAI_KIOSK_UI") == "child"


if not CHILD:
    @pytest.mark.timeout(600)
    def test_kiosk_ui_in_a_real_window(tmp_path):
        """Portrait runs every test; landscape (its own window) runs the tests named *_both."""
        from kivy_windows import run_in_windows
        run_in_windows(__file__, lambda size: {
            "GONGKAI_KIOSK_UI": "child", "GONGKAI_KIOSK_SIZE": size,
            "GONGKAI_KIOSK_FIGURES": str(tmp_path / f"figures-{size}.json")}, tmp_path, timeout=540)
        for figures in sorted(tmp_path.glob("figures-*.json")):
            print(figures.name, figures.read_text())

else:
    from screen.env import prepare_kivy_env

    prepare_kivy_env(os.environ["KIVY_HOME"])
    from screen.fonts import FONT_NAME, register_cjk_font
    from kivy.config import Config

    SIZE = tuple(int(v) for v in os.environ.get("GONGKAI_KIOSK_SIZE", "1080x1920").split("x"))
    ORIENT = "portrait" if SIZE[1] >= SIZE[0] else "landscape"
    Config.set("graphics", "width", str(SIZE[0]))
    Config.set("graphics", "height", str(SIZE[1]))
    FONT_PATH = register_cjk_font()

    from kivy.base import EventLoop
    from kivy.clock import Clock
    from kivy.core.text import LabelBase
    from kivy.core.window import Window
    from kivy.metrics import dp, sp
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    from screen.sync import SyncClient
    from screen import present, theme
    from kivy_windows import opaque, save_screenshot, walk
    from kiosk.app import KioskApp
    import kiosk_fixtures as kf

    FIGURES: dict = {}

    class FakeClock:
        """The idle clock: moves only when a test says so."""

        def __init__(self):
            self.t = 1000.0

        def __call__(self):
            return self.t

        def advance(self, seconds):
            self.t += seconds

    class Uploads(list):
        def __call__(self, png):
            self.append(png)
            return 201

    def frames(n=3):
        for _ in range(n):
            EventLoop.idle()

    def start(data_dir, sync=None, **kw):
        assert tuple(Window.size) == SIZE
        sync = sync or SyncClient("http://127.0.0.1:9", str(data_dir), screen=SIZE)
        app = KioskApp(sync, server_url="http://gk.example", data_dir=str(data_dir), clock=FakeClock(),
                       upload=Uploads(), **kw)
        app._run_prepare()
        frames(4)
        return app

    @pytest.fixture
    def make_app():
        apps = []

        def make(*args, **kw):
            app = start(*args, **kw)
            apps.append(app)
            return app
        yield make
        for app in apps:
            app.dispatch("on_stop")
            Clock.unschedule(app.tick)
            Window.unbind(on_touch_down=app._touched, size=app._resized)
            for screen in app.screens.values():
                if hasattr(screen, "on_leave"):
                    screen.on_leave()
            Window.remove_widget(app.root)
            app.sync.close()
        frames(2)
        # kv's `app` (a ProxyApp) caches the app it first resolves and forgets it on that app's
        # on_stop; a label re-laid out in the frames above (after on_stop) would leave it pointing at
        # this stopped app for the next test's handlers
        from kivy.lang.parser import global_idmap
        object.__setattr__(global_idmap["app"], "_obj", None)

    @pytest.fixture
    def data(tmp_path):
        kf.build_cache(tmp_path, table_rows=20_000)
        return tmp_path

    def tap(widget):
        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        frames(1)
        touch.touch_up()
        frames(2)

    def shown(widget):
        """On screen: inside the window, not transparent (also its parents), not zero-sized."""
        x, y = widget.to_window(*widget.pos)
        return (opaque(widget) and widget.width > 1 and widget.height > 1 and x < Window.width
                and y < Window.height and x + widget.width > 0 and y + widget.height > 0)

    def find(app, cls=Label, text=None):
        return [w for w in walk(app.root) if isinstance(w, cls) and shown(w)
                and (text is None or text in getattr(w, "text", ""))]

    def screenshot(name):
        """tests/artifacts/kiosk-<name>-<orientation>.png, exactly what the window shows."""
        frames(3)
        save_screenshot(os.path.join(SHOTS, f"kiosk-{name}-{ORIENT}.png"))

    _GLYPH_CACHE: dict = {}

    def has_cjk_glyphs(font_file):
        """Does the font draw 血 differently from a code point no font has (the .notdef box)?"""
        if font_file not in _GLYPH_CACHE:
            from PIL import ImageFont
            font = ImageFont.truetype(font_file, 40)
            _GLYPH_CACHE[font_file] = bytes(font.getmask("血")) != bytes(font.getmask("\U0010fffd"))
        return _GLYPH_CACHE[font_file]

    def assert_cjk_fonts(app):
        checked = 0
        for label in find(app):
            if any("\u4e00" <= ch <= "\u9fff" for ch in label.text):
                files = LabelBase._fonts.get(label.font_name)
                font_file = files[0] if files else label.font_name
                assert os.path.isfile(font_file) and has_cjk_glyphs(font_file), \
                    f"{label.text[:20]!r} renders with {label.font_name} ({font_file}): no CJK glyphs"
                checked += 1
        assert checked > 0

    def assert_targets(app, minimum):
        small = [(type(w).__name__, getattr(w, "text", "")[:8], tuple(map(round, w.size)))
                 for w in walk(app.root) if isinstance(w, ButtonBehavior) and shown(w) and not w.disabled
                 and (w.width < dp(minimum) - 0.5 or w.height < dp(minimum) - 0.5)]
        assert not small, f"touch targets under {minimum} dp: {small[:5]}"

    def assert_inside_window(app):
        """Nothing of the current screen is cut off by the window edges (layout in this orientation)."""
        screen = app.sm.current_screen
        for w in walk(screen):
            if isinstance(w, (Label, ButtonBehavior)) and shown(w) and not _in_scroll(w):
                x, y = w.to_window(*w.pos)
                assert x >= -1 and y >= -1 and x + w.width <= Window.width + 1 and \
                    y + w.height <= Window.height + 1, f"{type(w).__name__} {getattr(w, 'text', '')[:10]!r} outside"

    def _in_scroll(w):
        from kivy.uix.scrollview import ScrollView
        while w is not None and w.parent is not w:
            if isinstance(w, ScrollView):
                return True
            w = w.parent
        return False

    # ---- tests ---------------------------------------------------------------------------------

    def test_a_memory_after_start_and_50_items(data, make_app):
        import psutil
        proc = psutil.Process()
        app = make_app(data)
        FIGURES["rss_in_test_process_after_start_mb"] = round(proc.memory_info().rss / 2**20, 1)
        items = [i for i in app.items if not i.get("table")]
        for n in range(50):
            app.open_item(items[n % len(items)])
            frames(1)
            app.go_home()
            frames(1)
        FIGURES["rss_in_test_process_after_50_items_mb"] = round(proc.memory_info().rss / 2**20, 1)
        assert FIGURES["rss_in_test_process_after_50_items_mb"] < FIGURES["rss_in_test_process_after_start_mb"] + 150

    COLD_START = """
import os, sys, time
t0 = time.perf_counter()
sys.path[:0] = [sys.argv[2], os.path.join(sys.argv[2], "tests")]
from screen.env import prepare_kivy_env
prepare_kivy_env(os.environ["KIVY_HOME"])
from screen.fonts import register_cjk_font
from kivy.config import Config
Config.set("graphics", "width", "1080"); Config.set("graphics", "height", "1920")
register_cjk_font()
from kivy.base import EventLoop
from screen.sync import SyncClient
from kiosk.app import KioskApp
app = KioskApp(SyncClient("http://127.0.0.1:9", sys.argv[1], screen=(1080, 1920)))
app._run_prepare()
EventLoop.idle()
first = time.perf_counter() - t0
import psutil
rss = psutil.Process().memory_info().rss / 2**20
screen = app.sm.current
for n in range(50):
    app.open_item(app.items[n % len(app.items)])
    EventLoop.idle()
    app.go_home()
    EventLoop.idle()
rss50 = psutil.Process().memory_info().rss / 2**20
print(round(first, 3), round(rss, 1), round(rss50, 1), screen)
"""

    def test_b_cold_start_in_a_fresh_process(data):
        """Import → first frame of the home screen with a 20 000-row table cached (fresh process)."""
        out = subprocess.run([sys.executable, "-c", COLD_START, str(data), ROOT], capture_output=True,
                             text=True, timeout=120, env=dict(os.environ), cwd=ROOT)
        assert out.returncode == 0, out.stderr[-3000:]
        seconds, rss, rss50, screen = out.stdout.split()[-4:]
        assert screen == "home"
        FIGURES["cold_start_to_first_frame_s"] = float(seconds)
        FIGURES["rss_after_start_mb"] = float(rss)
        FIGURES["rss_after_50_items_mb"] = float(rss50)

    def test_pairing_until_approved_then_runs_from_cache_both(tmp_path, make_app):
        from datetime import datetime
        from device_fakes import FakeServer
        server = FakeServer()
        server.server_time = datetime.now(kf.CST)
        sync = SyncClient("http://gk.example", str(tmp_path), screen=SIZE, transport=server.transport)
        app = make_app(tmp_path, sync=sync)
        sync.on_status, sync.on_manifest = app.on_sync_status, app.on_sync_manifest
        assert app.sm.current == "pairing"
        assert sync.enrol_step() == "pending"
        frames(3)
        screen = app.sm.current_screen
        screen.refresh()
        frames(2)
        assert screen.ids.code.text == "0 0 0 0 0 1"
        assert screen.ids.code.font_size >= sp(120)  # ≈ 25 mm tall on a 21.5" panel: readable at 2 m
        assert_cjk_fonts(app)
        screenshot("pairing")
        server.approve(sync.device_id)
        assert sync.enrol_step() == "active"
        cached = kf.build_cache(tmp_path / "src", with_image=False)
        server.manifest = {k: v for k, v in cached.items() if k not in ("signature", "_private_pem")}
        assert sync.sync_once()
        frames(4)
        assert app.sm.current == "home"
        # next start: offline (no server at all), straight from the cache
        sync2 = SyncClient("http://127.0.0.1:9", str(tmp_path), screen=SIZE)
        assert sync2.cached_manifest() is not None
        app2 = make_app(tmp_path, sync=sync2)
        assert app2.sm.current == "home" and app2.items
        assert app2.contact_mark == "" and not find(app2, text="离线")  # fresh cache: nothing for patients

    def test_home_tiles_counts_font_layout_both(data, make_app):
        app = make_app(data)
        assert app.sm.current == "home"
        tiles = {b.tile.name: b.tile.count for b in app.screen("home").ids.tiles.children}
        assert tiles["医疗服务价格"] == 1 and tiles["公示公告"] == 1 and tiles["资质信息"] == 1
        assert "医疗服务信息" not in tiles  # the group is shown as its children
        assert "行风建设" not in tiles and all(tiles.values())   # no "0 项" tile leading to an empty list
        assert app.root.ids.unit_name.text == "第一人民医院"
        assert app.root.ids.clock.text
        assert app.screen("home").ids.qr.texture is not None
        assert app.screen("home").qr_url == kf.FEEDBACK
        assert_cjk_fonts(app)
        assert_targets(app, theme.MIN_TARGET)
        assert_inside_window(app)
        assert app.portrait == (ORIENT == "portrait")
        screenshot("home")

    ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")

    def artifact(name):
        """tests/artifacts/kiosk-<name>-<orientation>.png, to look at (not committed)."""
        frames(3)
        os.makedirs(ARTIFACTS, exist_ok=True)
        save_screenshot(os.path.join(ARTIFACTS, f"kiosk-{name}-{ORIENT}.png"))

    def colours_of(canvas):
        from kivy.graphics import Color
        return [tuple(round(v, 3) for v in c.rgba) for c in canvas.children if isinstance(c, Color)]

    def blank_bands(root_widget, top):
        """The vertical bands (in px) of the window below `top` that no visible text, image or
        button covers: where a screen would look empty."""
        from kivy.uix.image import Image
        spans = sorted((w.to_window(*w.pos)[1], w.to_window(*w.pos)[1] + w.height)
                       for w in walk(root_widget)
                       if isinstance(w, (Label, Image, ButtonBehavior)) and shown(w) and not w.children
                       and (getattr(w, "text", "") or getattr(w, "texture", None) is not None))
        gaps, reach = [], 0.0
        for lo, hi in spans:
            if lo > reach:
                gaps.append(lo - reach)
            reach = max(reach, hi)
        gaps.append(top - reach)
        return gaps

    def test_branding_in_header_tiles_and_banner_both(tmp_path, make_app):
        brand = kf.branding(tmp_path)
        kf.build_cache(tmp_path, brand=brand)
        app = make_app(tmp_path)
        teal = (0.0, round(0x69 / 255, 3), round(0x5c / 255, 3), 1.0)
        assert app.unit_name == "杭州市第一人民医院" and app.root.ids.unit_name.text == "杭州市第一人民医院"
        assert teal in colours_of(app.root.ids.header.canvas.before)
        assert teal in colours_of(app.screen("home").ids.banner.canvas.before)
        logo = app.root.ids.logo
        assert shown(logo) and logo.texture is not None and logo.source == app.sync.media_path(brand["logo"]["sha256"])
        tiles = list(app.screen("home").ids.tiles.children)
        assert tiles and all(os.path.isfile(t.icon) and shown(t.ids.icon) and t.ids.icon.texture is not None
                             for t in tiles)
        assert {os.path.basename(t.icon) for t in tiles} >= {"receipt_long.png", "medication.png", "campaign.png"}
        assert all(tuple(round(v, 3) for v in t.ids.icon.color) == teal for t in tiles)
        assert_cjk_fonts(app)
        artifact("home-branded")
        app.large_text = True
        frames(3)
        assert_targets(app, theme.MIN_TARGET_LARGE)
        assert_inside_window(app)
        artifact("home-branded-large")

    def test_bad_branding_falls_back_to_the_theme(tmp_path, make_app):
        brand = kf.branding(tmp_path, colour="#ffee00")                 # white on yellow: unreadable
        brand["logo"]["sha256"] = "ab" * 32                              # not in the cache
        brand["name"] = "[b]" + "长" * 80
        kf.build_cache(tmp_path, brand=brand)
        app = make_app(tmp_path)
        assert tuple(app.brand_colour) == tuple(theme.ACCENT) and app.logo == ""
        assert app.root.ids.logo.width == 0 and len(app.unit_name) <= 41

    def test_home_fills_the_screen_without_empty_tiles_both(tmp_path, make_app):
        kf.build_cache(tmp_path, brand=kf.branding(tmp_path))
        app = make_app(tmp_path)
        home = app.screen("home")
        assert all(t.tile.count > 0 and "0 项" != t.count_text for t in home.ids.tiles.children)
        for large in (False, True):
            app.large_text = large
            frames(4)
            top = home.to_window(*home.pos)[1] + home.height
            gaps = blank_bands(home, top)
            assert max(gaps) < 0.12 * Window.height, (large, [round(g) for g in gaps])
        app.large_text = False
        frames(2)
        cards = [c for c in home.ids.latest.children if hasattr(c, "item")]
        assert cards and all(shown(c) for c in cards)
        if app.portrait:
            # the strip shows as many of the newest items as fit, at most LATEST
            assert len(cards) >= 3

    def test_latest_strip_opens_the_newest_item_both(data, make_app):
        app = make_app(data)
        home = app.screen("home")
        cards = [c for c in reversed(home.ids.latest.children) if hasattr(c, "item")]
        newest = present.latest(app.items, 1)[0]
        assert cards[0].item is newest and cards[0].title == newest["title"]
        assert any(c.meta.startswith("医疗服务价格 · ") for c in cards) or len(cards) < 3
        tap(cards[0])
        assert app.sm.current == "item" and app.screen("item").item is newest
        tap(app.screen("item").ids.back)
        assert app.sm.current == "home"

    def test_attract_loop_plays_images_and_notices_full_screen_both(tmp_path, make_app):
        kf.build_cache(tmp_path, brand=kf.branding(tmp_path))
        app = make_app(tmp_path, attract_seconds=120)
        app.manifest["playlist"] = [{"item": 5, "slide": "image"}, {"item": 4, "slide": "notice"}]
        app.sync.close()      # offline: everything comes from the cache
        app.clock.advance(121)
        app.idle_tick()
        frames(3)
        overlay = app.overlays["attract"]
        assert overlay.image and os.path.isfile(overlay.image)
        picture = overlay.ids.picture
        assert picture.texture is not None and picture.width == Window.width
        assert picture.height >= 0.8 * Window.height                      # the image fills the screen
        assert overlay.ids.image_title.text == "医疗机构执业许可证"
        artifact("attract-image")
        overlay.advance()
        frames(3)
        assert not overlay.image and overlay.ids.headline.text == "关于拟聘任科室主任的公示"
        assert "院纪委" in overlay.ids.caption.text and shown(overlay.ids.caption)
        assert_cjk_fonts(app)
        artifact("attract-notice")
        tap(overlay)
        assert "attract" not in app.overlays and app.sm.current == "home"

    def test_roboto_would_be_caught(tmp_path):
        """The glyph check really detects a font without Chinese (Kivy's bundled Roboto)."""
        import kivy
        roboto = os.path.join(os.path.dirname(kivy.__file__), "data", "fonts", "Roboto-Regular.ttf")
        assert not has_cjk_glyphs(roboto)
        assert has_cjk_glyphs(FONT_PATH)
        assert LabelBase._fonts["Roboto"][0] == FONT_PATH and FONT_NAME in LabelBase._fonts

    def test_tile_to_list_to_item_with_badge_qr_and_view_record_both(data, make_app):
        app = make_app(data)
        tile = next(b for b in app.screen("home").ids.tiles.children if b.tile.name == "公示公告")
        tap(tile)
        assert app.sm.current == "category"
        rows = find(app, cls=ButtonBehavior)
        row = next(r for r in rows if getattr(r, "title", "") == "关于拟聘任科室主任的公示")
        assert row.badge.startswith("公示中 · 还剩 ") and row.badge.endswith(" 个工作日")
        assert find(app, text="公示中 · 还剩")
        assert_inside_window(app)
        screenshot("category")
        tap(row)
        assert app.sm.current == "item"
        item = app.screen("item")
        assert item.badge == row.badge and item.qr_url == f"{kf.FEEDBACK}?item=4"
        assert item.ids.qr.texture is not None and find(app, text="扫码留言") and find(app, text="?item=4")
        app.clock.advance(12)
        tap(item.ids.back)
        assert app.sm.current == "category"
        app.reset_session()
        views = [b for b in app.sync._outbox.pending() if b["type"] == "view"]
        assert views and views[0]["records"][0]["item"] == 4 and views[0]["records"][0]["duration"] == 12
        assert set(views[0]["records"][0]) == {"item", "revision", "at", "duration"}

    def test_markdown_item_and_image_both(data, make_app):
        app = make_app(data)
        guide = next(i for i in app.items if i["id"] == 2)
        app.open_item(guide)
        frames(3)
        labels = [w.text for w in app.screen("item").ids.body.children[::-1]]
        assert labels[0] == "门诊就医流程" and "[b]自助机[/b]" in labels[1]
        assert any(t.startswith("•  ") for t in labels) and any(t.startswith("1.  ") for t in labels)
        assert_inside_window(app)
        screenshot("item")
        licence = next(i for i in app.items if i["id"] == 5)
        app.open_item(licence)
        frames(3)
        images = [w for w in walk(app.screen("item").ids.media) if type(w).__name__ == "MediaImage"]
        assert images and images[0].texture is not None
        assert_inside_window(app)
        screenshot("item-image")

    def _first_ink_x(label) -> int:
        """The leftmost pixel column of the label's texture that has any ink."""
        w, h = label.texture.size
        pixels = label.texture.pixels
        for x in range(w):
            if any(pixels[(y * w + x) * 4 + 3] for y in range(h)):
                return x
        return w

    def test_markdown_lists_tables_and_quotes_render(tmp_path, make_app):
        from screen import markdown, present
        body = ("# 就医须知\n\n- 门诊\n  - 内科\n    - 心内科\n- # 急诊\n\n1. 挂号\n1. 缴费\n\n"
                "| 项目 | 价格 |\n|---|---|\n| 血常规 | 20 |\n\n> 请**带好**医保卡  \n> 与身份证\n\n"
                "请勿输入 [b]x[/b] 与 [color=ff0000]红字[/color]，详见[官网](http://x.example)。")
        kf.build_cache(tmp_path, items=[kf.item(30, "care-guide", "就医须知", body)])
        app = make_app(tmp_path)
        app.open_item(next(i for i in app.items if i["id"] == 30))
        frames(3)
        labels = app.screen("item").ids.body.children[::-1]
        assert [w.text for w in labels] == [m for _, m in markdown.markdown_blocks(body)]
        assert all(w.texture is not None and w.texture_size[1] > 1 for w in labels)
        by_text = {w.text.strip(): w for w in labels}
        top, nested = by_text["•  门诊"], by_text["◦  内科"]
        assert _first_ink_x(nested) > _first_ink_x(top) + 20  # the nesting shows as indent
        assert find(app, text="&bl;b&br;x&bl;/b&br;") and find(app, text="官网")

    def test_image_opens_full_screen_with_pinch_and_double_tap_zoom_both(data, make_app):
        app = make_app(data)
        app.open_item(next(i for i in app.items if i["id"] == 5))
        frames(3)
        image = next(w for w in walk(app.screen("item").ids.media) if type(w).__name__ == "MediaImage")
        tap(image)
        deadline = time.monotonic() + 2  # the carousel hands a tap to its page after 0.1 s
        while "viewer" not in app.overlays and time.monotonic() < deadline:
            frames(1)
        viewer = app.overlays["viewer"]
        scatter = viewer.ids.scatter
        assert viewer.source == image.source and scatter.scale == 1
        assert_targets(app, theme.MIN_TARGET)
        x, y = scatter.to_window(*scatter.center)
        a, b = UnitTestTouch(x - 60, y), UnitTestTouch(x + 60, y)  # two fingers spread apart
        a.touch_down(), b.touch_down()
        frames(1)
        for step in range(1, 11):
            a.touch_move(x - 60 - step * 20, y)
            b.touch_move(x + 60 + step * 20, y)
            frames(1)
        a.touch_up(), b.touch_up()
        frames(2)
        assert 2.0 < scatter.scale <= viewer.MAX_ZOOM
        view = viewer.ids.stage
        (bx, by), (bw, bh) = scatter.bbox
        assert bx <= view.x + 0.5 and by <= view.y + 0.5 and bx + bw >= view.right - 0.5 and by + bh >= view.top - 0.5
        screenshot("image-zoomed")
        scatter.toggle_zoom((x, y))            # what a double tap does: back to the whole page
        assert scatter.scale == 1 and tuple(scatter.pos) == tuple(view.pos)
        scatter.toggle_zoom((x, y))
        assert abs(scatter.scale - 2.0) < 1e-6
        app.reset_session()                     # the next person never finds a zoomed page
        assert "viewer" not in app.overlays

    def test_table_of_20000_rows_scrolls_both(data, make_app):
        app = make_app(data)
        table_item = next(i for i in app.items if i.get("table"))
        app.open_item(table_item)
        frames(3)
        rv = app.screen("item").ids.table
        assert len(rv.data) == 20_000
        assert len(rv.layout_manager.children) < 80  # recycled views, not 20 000 widgets
        times = []
        span = rv.children[0].height - rv.height
        rv.scroll_y = 0.5
        frames(2)
        for step in range(40):  # a finger drag: one row per frame through the middle of the table
            rv.scroll_y -= rv.layout_manager.default_size[1] / span
            t = time.perf_counter()
            frames(1)
            times.append(time.perf_counter() - t)
        still = []  # for comparison: frames with nothing to redraw but the whole window (llvmpipe)
        for _ in range(20):
            t = time.perf_counter()
            frames(1)
            still.append(time.perf_counter() - t)
        FIGURES["table_still_frame_median_ms"] = round(sorted(still)[len(still) // 2] * 1000, 1)
        times.sort()
        FIGURES["table_scroll_row_per_frame_p95_ms"] = round(times[int(len(times) * 0.95) - 1] * 1000, 1)
        FIGURES["table_scroll_row_per_frame_median_ms"] = round(times[len(times) // 2] * 1000, 1)
        fling = []  # a quick flick: ten rows per frame, every view recycled each frame
        for _ in range(40):
            rv.scroll_y -= 10 * rv.layout_manager.default_size[1] / span
            t = time.perf_counter()
            frames(1)
            fling.append(time.perf_counter() - t)
        fling.sort()
        FIGURES["table_fling_10_rows_per_frame_p95_ms"] = round(fling[int(len(fling) * 0.95) - 1] * 1000, 1)
        middle = [v.cells[0] for v in rv.layout_manager.children]
        assert any(int(c) - 10000 > 9000 for c in middle)  # past row 9 000
        rv.scroll_y = 0
        frames(2)
        assert rv.scroll_y == 0
        shown_rows = [v.cells[1] for v in rv.layout_manager.children]
        assert any("（19999）" in c or "（1999" in c for c in shown_rows)
        screenshot("item-table")

    def test_search_xcg_on_the_keyboard_updates_per_key_both(data, make_app):
        app = make_app(data)
        tap(app.screen("home").ids.search_bar)
        assert app.sm.current == "search"
        screen = app.sm.current_screen
        keys = {k.text: k for k in walk(screen.ids.keyboard) if type(k).__name__ == "Key"}
        counts, latencies = [], []
        for ch in "xcg":
            t = time.perf_counter()
            tap(keys[ch])
            latencies.append(time.perf_counter() - t)
            counts.append(len(screen.hits))
        assert screen.query == "xcg" and counts[0] >= counts[-1] > 0
        assert screen.ids.results.data[0]["title"].startswith("10000 · 血常规")
        assert_inside_window(app)
        assert_targets(app, theme.MIN_TARGET)
        screenshot("search")
        tap(keys["删除"]), tap(keys["删除"]), tap(keys["删除"])
        for ch in "ct":
            tap(keys[ch])
        titles = [d["title"] + d["detail"] for d in screen.ids.results.data]
        assert any("CT检查预约须知" in t for t in titles)
        # a row hit opens the table at that row, highlighted
        tap(keys["清空"])
        for ch in "10008":
            tap(keys[ch])
        screen.open(0)
        frames(3)
        assert app.sm.current == "item" and app.screen("item").highlight_row == 8
        # benchmark: keystroke → results over 20 000 rows, and tap → next frame
        t = time.perf_counter()
        for _ in range(20):
            app.index.search("xcg")
        FIGURES["search_20000_rows_ms"] = round((time.perf_counter() - t) / 20 * 1000, 2)
        latencies = []
        tap(keys["清空"])
        for n in range(40):  # tap → the frame that shows the new results
            key = keys["x" if n % 2 == 0 else "删除"]
            touch = UnitTestTouch(*key.to_window(*key.center))
            touch.touch_down()
            frames(1)
            t = time.perf_counter()
            touch.touch_up()
            frames(1)
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        FIGURES["key_tap_to_frame_p95_ms"] = round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1)
        FIGURES["key_tap_to_frame_median_ms"] = round(latencies[len(latencies) // 2] * 1000, 1)
        assert FIGURES["search_20000_rows_ms"] < 20

    def test_find_in_table_then_attract_loop(data, make_app):
        app = make_app(data, attract_seconds=300)
        table_item = next(i for i in app.items if i.get("table"))
        app.open_item(table_item)
        frames(2)
        tap(app.screen("item").ids.find_in_table)
        screen = app.sm.current_screen
        assert screen.name == "search" and screen.scope is table_item and "中查找" in screen.summary
        keys = {k.text: k for k in walk(screen.ids.keyboard) if type(k).__name__ == "Key"}
        tap(keys["c"]), tap(keys["t"])
        assert screen.hits and all(h.row is not None for h in screen.hits)  # rows only, this table
        screen.open(0)
        frames(2)
        assert app.sm.current == "item" and app.screen("item").highlight_row == 2
        tap(app.screen("item").ids.back)
        assert app.sm.current == "search" and screen.scope is table_item and screen.query == "ct"
        app.reset_session()
        assert screen.scope is None and app.sm.current == "home"
        app.manifest["playlist"] = [{"item": 5, "slide": "image"}, {"item": 2, "slide": "notice"},
                                    {"item": 999, "slide": "notice"}, "junk"]   # unknown entries skipped
        app.clock.advance(299)
        app.idle_tick()
        assert "attract" not in app.overlays
        app.clock.advance(2)
        app.idle_tick()
        frames(2)
        overlay = app.overlays["attract"]
        first = overlay.message
        assert [bool(path) for _, path, _ in overlay.slides] == [True, False]   # 5's image, 2's notice
        assert overlay.slides[1][2].startswith("门诊就医流程 患者可通过自助机")   # its opening words, plain
        assert overlay.image and os.path.isfile(overlay.image)
        overlay.advance()
        assert overlay.message != first
        screenshot("attract")
        tap(overlay)
        assert "attract" not in app.overlays and app.sm.current == "home"

    def test_idle_countdown_then_reset(data, make_app):
        app = make_app(data, idle_seconds=60, countdown_seconds=20)
        tap(app.root.ids.large_text)
        assert app.large_text
        app.show("search", query="xcg")
        frames(2)
        app.clock.advance(59)
        app.idle_tick()
        assert "idle" not in app.overlays
        from screen import pacing
        from kiosk.app import IDLE_FPS
        assert pacing.rate() == IDLE_FPS  # untouched: the loop wakes 10 times a second
        tap(app.root.ids.clock)
        assert pacing.rate() != IDLE_FPS  # a touch: full frame rate at once
        app.last_touch -= 59  # as it was
        app.clock.advance(2)
        app.idle_tick()
        frames(2)
        overlay = app.overlays["idle"]
        assert find(app, text="继续浏览") and "19 秒后返回首页" in overlay.message
        screenshot("idle")
        tap(overlay.ids.keep)
        assert "idle" not in app.overlays and app.sm.current == "search" and app.large_text
        app.clock.advance(81)
        app.idle_tick()
        frames(2)
        assert app.sm.current == "home" and not app.large_text and "idle" not in app.overlays
        assert app.screen("search").query == "" and not app.screen("search").ids.results.data

    def test_large_text_sizes_and_targets_on_every_screen_both(data, make_app):
        app = make_app(data)
        for large, minimum in ((False, theme.MIN_TARGET), (True, theme.MIN_TARGET_LARGE)):
            app.large_text = large
            for name, kw in (("home", {}), ("category", {"cat_id": "prices"}), ("search", {"query": "x"}),
                             ("item", {"item": next(i for i in app.items if i["id"] == 2)})):
                app.show(name, **kw)
                frames(3)
                assert_targets(app, minimum)
                assert_inside_window(app)
                if large and name == "item":
                    body = list(app.screen("item").ids.body.children)
                    assert body and all(b.font_size >= sp(24) for b in body)  # 18 pt = 24 px
                    screenshot("item-large")
        app.show("home")
        screenshot("home-large")

    def test_contrast_of_every_text_colour(data, make_app):
        for name, (fg, bg) in theme.PAIRS.items():
            assert theme.contrast(fg, bg) >= 4.5, name
        app = make_app(data)
        allowed = {tuple(round(c, 3) for c in fg) for fg, _ in theme.PAIRS.values()}
        for name, kw in (("home", {}), ("category", {"cat_id": "prices"}), ("search", {"query": "x"})):
            app.show(name, **kw)
            frames(3)
            for label in find(app):
                if label.text.strip():
                    assert tuple(round(c, 3) for c in label.color) in allowed, (name, label.text[:10])

    def test_rating_with_reason_goes_to_the_report(data, make_app):
        app = make_app(data)
        home = app.screen("home")
        buttons = {b.text: b for b in walk(home.ids.ratings) if isinstance(b, ButtonBehavior)}
        tap(buttons["满意"])
        tap(buttons["不满意"])
        assert home.pending_rating == "unsatisfied"
        chip = next(c for c in home.ids.reasons.children if c.text == "等候时间长")
        tap(chip)
        ratings = [r for b in app.sync._outbox.pending() if b["type"] == "rating" for r in b["records"]]
        assert [(r["rating"], r.get("reason")) for r in ratings] == [("satisfied", None),
                                                                     ("unsatisfied", "等候时间长")]

    def test_offline_alert_and_remote_commands(tmp_path, make_app):
        kf.build_cache(tmp_path, table_rows=10, alert={"title": "紧急疏散", "body": "请按指示有序离开大楼"})
        app = make_app(tmp_path)
        assert app.contact_mark == ""  # offline, but the cached content is fresh: no mark, no "离线"
        app.sync._last_contact -= present.OFFLINE_MARK_SECONDS  # ten minutes without the server
        app.tick()
        frames(1)
        assert app.contact_mark == present.OFFLINE_MARK and app.root.ids.contact_mark.opacity > 0
        assert not [w for w in walk(app.root) if "离线" in str(getattr(w, "text", ""))]
        # the clock is the unit's wall clock (the manifest's +08:00), not this machine's zone
        app.tick()
        wall = datetime.now(timezone(timedelta(hours=8)))
        assert app.clock_text in {(wall - timedelta(minutes=m)).strftime("%Y-%m-%d  %H:%M") for m in (0, 1)}
        assert "alert" in app.overlays and find(app, text="紧急疏散")
        tap(app.screen("home").ids.search_bar)  # the alert covers everything
        assert app.sm.current == "home"
        screenshot("alert")
        assert app.run_command("identify") and find(app, text="门诊大厅一号机") and find(app, text=kf.SCREEN_CODE)
        assert list(app.root.children).index(app.overlays["alert"]) == 0  # still on top
        app.hide_overlay("identify")
        assert app.run_command("screenshot")
        for _ in range(50):
            if app.upload:
                break
            time.sleep(0.02)
        assert app.upload and app.upload[0].startswith(b"\x89PNG")
        assert not app.run_command("self-destruct")
        cleared = kf.build_cache(tmp_path, table_rows=10)  # new key, new manifest without alert
        app.sync = SyncClient("http://127.0.0.1:9", str(tmp_path), screen=SIZE)
        assert app.run_command("reload")
        frames(2)
        assert "alert" not in app.overlays and cleared["alert"] is None

    def test_hostile_content_never_crashes(tmp_path, make_app):
        kf.build_cache(tmp_path, items=kf.hostile_items() + kf.standard_items(5) + [kf.pdf_item(tmp_path)])
        app = make_app(tmp_path)
        for item in list(app.items):
            app.open_item(item)
            frames(2)
        marked = next(i for i in app.items if i["id"] == 20)
        app.open_item(marked)
        frames(2)
        title = app.screen("item").ids.title
        assert title.markup and title.text.startswith("&bl;b&br;粗体&bl;/b&br; &bl;color=ff0000&br;")
        big = next(i for i in app.items if i["id"] == 21)
        app.open_item(big)
        frames(2)
        assert len(app.screen("item").ids.body.children) <= 20
        ragged = next(i for i in app.items if i["id"] == 23)
        app.open_item(ragged)
        frames(2)
        assert all(len(r["cells"]) == 3 for r in app.screen("item").ids.table.data)
        missing = next(i for i in app.items if i["id"] == 22)
        app.open_item(missing)
        frames(2)
        assert find(app, text="图片暂不可用") and find(app, text="另有 1 页/个附件")
        pdf = next(i for i in app.items if i["id"] == 9)
        app.go_home()
        frames(2)
        app.open_item(pdf)
        frames(3)
        scroll = app.screen("item").ids.scroll
        assert scroll.height > Window.height * 0.3 and find(app, text="请左右滑动翻页")  # after a table item
        pages = [w for w in walk(app.screen("item").ids.media) if type(w).__name__ == "MediaImage"]
        assert len(pages) == 2 and all(p.texture is not None for p in pages)
        assert sorted(os.listdir(tmp_path / "pages"))[0].endswith("-0.png")
        carousel = next(w for w in walk(app.screen("item").ids.media) if type(w).__name__ == "MediaCarousel")
        carousel.anim_move_duration = 0.01
        carousel.load_next()
        for _ in range(10):
            time.sleep(0.01)
            frames(1)
        assert carousel.index == 1  # swipe to the next page
        screenshot("item-pdf")
        app.show("category", cat_id="conveniences")
        frames(2)
        assert app.sm.current == "category"

    def test_chinese_line_breaking_with_the_demo_texts_both(tmp_path, make_app):
        """The demo's own titles and bodies on the item page, and an alert with a time: the lines Kivy
        draws follow screen/linebreak.py's rules (kivy_windows.line_break_problems) in every label."""
        from demo_texts import demo_texts
        from kivy_windows import line_break_problems
        texts = demo_texts() + [("服务热线", "如有疑问请拨打服务热线 0571-12345678。本院将持续优化就医流程，"
                                             "为患者提供便捷、高效的医疗服务。")]
        assert len(texts) >= 6
        items = [kf.item(100 + n, "notices", title, body) for n, (title, body) in enumerate(texts)]
        kf.build_cache(tmp_path, items=items, with_image=False, alert={
            "title": "消防演练", "body": "10:30 起进行消防疏散演练，请听从工作人员指挥，沿安全出口有序撤离，勿乘电梯。"
                                       "演练期间门诊照常开放，给您带来不便，敬请谅解。"})
        app = make_app(tmp_path)
        frames(2)
        problems = [p for w in walk(app.root) if isinstance(w, Label) and shown(w) for p in line_break_problems(w)]
        wrapped = [w for w in walk(app.overlays["alert"]) if isinstance(w, Label) and len(w._label._cached_lines) > 1]
        assert wrapped, "the alert's body wraps onto several lines"
        app.hide_overlay("alert")
        for item in app.items:
            app.open_item(item)
            frames(2)
            problems += [p for w in walk(app.root) if isinstance(w, Label) and shown(w) for p in line_break_problems(w)]
        assert not problems, "\n".join(problems[:20])

    def test_zz_write_figures_both():
        path = os.environ.get("GONGKAI_KIOSK_FIGURES")
        if path:
            with open(path, "w") as f:
                json.dump(FIGURES, f)
