"""One orientation of the README's kiosk screenshots (a child of test_readme_screenshots.py): the real
kiosk app in a real offscreen window, enrolled with the demo server over HTTP, showing the demo's
content. Each shot is checked (the screen it should be, demo text on it, Chinese drawn with a CJK
font) before it is written. Exits non-zero with the failing check."""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import readme_shots_common as rc  # noqa: E402

rc.prepare_window()

from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

from kiosk.app import KioskApp  # noqa: E402
from kivy_windows import walk  # noqa: E402
from screen.sync import SyncClient  # noqa: E402

PORTRAIT = rc.ORIENT == "portrait"


class FakeClock:
    """The idle clock: moves only when told (idle countdown and attract loop on demand)."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


def start(sync, **kw) -> KioskApp:
    app = KioskApp(sync, server_url=rc.URL, data_dir=rc.DATA, clock=FakeClock(), upload=lambda png: 201, **kw)
    app._run_prepare()
    rc.frames(4)
    return app


def stop(app) -> None:
    app.dispatch("on_stop")
    Clock.unschedule(app.tick)
    Window.unbind(on_touch_down=app._touched, size=app._resized)
    for screen in app.screens.values():
        if hasattr(screen, "on_leave"):
            screen.on_leave()
    Window.remove_widget(app.root)
    rc.frames(2)


def tap(widget) -> None:
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    rc.frames(1)
    touch.touch_up()
    rc.frames(2)


def shot(app, name: str, *expect: str) -> None:
    rc.assert_cjk(app.root)
    shown = rc.texts(app.root)
    for text in expect:
        assert text in shown, f"kiosk {name}: {text!r} not on screen"
    rc.shoot("kiosk", name)


def by_title(app, title: str) -> dict:
    return next(i for i in app.items if i.get("title") == title)


def main() -> None:
    sync = SyncClient(rc.URL, rc.DATA, kind="kiosk", screen=rc.SIZE)
    app = start(sync)
    assert app.sm.current == "pairing"
    assert sync.enrol_step() == "pending"
    app.sm.current_screen.refresh()
    rc.frames(3)
    code = app.sm.current_screen.ids.code.text.replace(" ", "")
    assert code == sync.pairing_code, (code, sync.pairing_code)
    rc.shoot("kiosk", "pairing")
    rc.ask_for_approval()
    rc.wait_active(sync)
    rc.sync_all(sync)
    stop(app)

    app = start(sync, idle_seconds=60, countdown_seconds=20, attract_seconds=300)
    assert app.sm.current == "home", app.sm.current
    tiles = {b.tile.name: b.tile.count for b in app.screen("home").ids.tiles.children}
    empty = [name for name, count in tiles.items() if not count]
    assert not empty, f"kiosk home tiles without a demo item: {empty}"
    shot(app, "home", "医疗服务价格", "公示公告", "县第一人民医院")

    notices = next(b for b in app.screen("home").ids.tiles.children if b.tile.name == "公示公告")
    app.screen("home").ids.tiles_scroll.scroll_to(notices, animate=False)   # a patient scrolls the tiles
    rc.frames(3)
    tap(notices)
    assert app.sm.current == "category"
    shot(app, "category", "拟提任干部任前公示", "公示中 · 还剩")

    app.open_item(by_title(app, "门诊就医流程"))
    rc.frames(3)
    shot(app, "item", "门诊就医流程", "预约挂号", "自助机")
    app.large_text = True
    rc.frames(3)
    shot(app, "item-large", "门诊就医流程")
    app.show("home")
    rc.frames(3)
    shot(app, "home-large", "医疗服务价格")
    app.reset_session()
    rc.frames(2)

    app.open_item(by_title(app, "门诊楼楼层导引"))
    rc.frames(3)
    images = [w for w in walk(app.screen("item").ids.media) if type(w).__name__ == "MediaImage"]
    assert images and images[0].texture is not None
    shot(app, "item-image", "门诊楼楼层导引")
    tap(images[0])
    deadline = time.monotonic() + 3  # the carousel hands a tap to its page after 0.1 s
    while "viewer" not in app.overlays and time.monotonic() < deadline:
        rc.frames(1)
    scatter = app.overlays["viewer"].ids.scatter
    scatter.toggle_zoom(scatter.to_window(scatter.center_x * 0.6, scatter.center_y * 1.2))  # a double tap
    rc.frames(3)
    assert abs(scatter.scale - 2.0) < 1e-6
    rc.shoot("kiosk", "image-zoomed")
    app.reset_session()
    rc.frames(2)

    prices = by_title(app, "2026 年医疗服务项目价格公示")
    app.open_item(prices)
    rc.frames(3)
    rv = app.screen("item").ids.table
    assert len(rv.data) == len(prices["table"]["rows"]) >= 200
    rv.scroll_y = 0.35
    rc.frames(4)
    rows = [v.cells[1] for v in rv.layout_manager.children]
    assert rows and all("类）" not in r for r in rows)
    shot(app, "item-table", "医疗服务项目价格", "项目名称")
    app.reset_session()
    rc.frames(2)

    tap(app.screen("home").ids.search_bar)
    screen = app.sm.current_screen
    keys = {k.text: k for k in walk(screen.ids.keyboard) if type(k).__name__ == "Key"}
    for ch in "xcg":
        tap(keys[ch])
    assert screen.query == "xcg" and screen.hits
    assert any("血常规" in d.get("title", "") for d in screen.ids.results.data), screen.ids.results.data[:3]
    shot(app, "search", "血常规")
    app.reset_session()
    rc.frames(2)

    if PORTRAIT:
        app.open_item(by_title(app, "院务公开制度"))
        rc.frames(3)
        pages = [w for w in walk(app.screen("item").ids.media) if type(w).__name__ == "MediaImage"]
        assert len(pages) == 2 and all(p.texture is not None for p in pages)
        shot(app, "item-pdf", "院务公开制度")
        app.reset_session()
        rc.frames(2)

        app.show("category", cat_id="care-guide")
        rc.frames(2)
        app.clock.advance(61)
        app.idle_tick()
        rc.frames(2)
        assert "idle" in app.overlays
        shot(app, "idle", "秒后返回首页")
        app.reset_session()
        app.hide_overlay("idle")
        rc.frames(2)

        app.clock.advance(301)
        app.idle_tick()
        rc.frames(2)
        overlay = app.overlays["attract"]
        while not overlay.image:   # the first slide with a picture (the floor guide)
            overlay.advance()
        rc.frames(3)
        rc.shoot("kiosk", "attract")
        tap(overlay)
        rc.frames(2)

        alert = rc.raise_alert("停电检修通知", "今天 12:00–13:00 门诊楼检修供电线路，自助机暂停使用，"
                                           "请到人工窗口挂号缴费。急诊不受影响。")
        app.apply_manifest(rc.wait_manifest(sync, lambda m: bool(m.get("alert"))))
        rc.frames(3)
        shot(app, "alert", "停电检修通知")
        rc.clear_alert(alert)
    stop(app)


if __name__ == "__main__":
    main()
