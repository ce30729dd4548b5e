"""One orientation of the README's signage screenshots (a child of test_readme_screenshots.py): the
real signage player in a real offscreen window, enrolled with the demo server over HTTP, playing the
demo's lobby playlist (table, image, document, statistics and notice slides), then an alert raised
through the staff API, night outside the lobby's opening hours and (portrait) identify. The player's
clock is the server's date at 10:00 local, moved by hand, so every slide type comes round at once."""
from __future__ import annotations

import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import readme_shots_common as rc  # noqa: E402

rc.prepare_window()

from kivy.core.window import Window  # noqa: E402

from content.playlist import local_zone  # noqa: E402
from screen.sync import SyncClient  # noqa: E402
from signage.app import SignageApp  # noqa: E402

KINDS = ("notice", "image", "document", "table", "stats")
WANT = {"image": "门诊楼楼层导引", "table": "2026 年医疗服务项目价格公示"}   # the nicest of several


class FakeNow:
    def __init__(self, start):
        self.t = start

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += timedelta(seconds=seconds)


def start(sync, now=None) -> SignageApp:
    app = SignageApp(sync, server_url=rc.URL, data_dir=rc.DATA, now=now, upload=lambda png: 201,
                     tick_seconds=3600)
    app._run_prepare()
    settle(app)
    return app


def stop(app) -> None:
    app.dispatch("on_stop")
    Window.unbind(size=app._resized)
    app.pairing.on_leave()
    Window.remove_widget(app.root)
    rc.frames(2)


def settle(app, limit: int = 200) -> None:
    """Frames until the current and the prepared next slide (decoded in a thread) are ready."""
    for _ in range(limit):
        nxt, cur = app.player.next_widget, app.player.current_widget
        if (nxt is None or nxt.ready) and (cur is None or cur.ready):
            break
        rc.frames(1)
    rc.frames(3)


def step(app, now, seconds) -> None:
    now.advance(seconds)
    app.tick()
    settle(app)


def shot(app, name: str, *expect: str) -> None:
    rc.assert_cjk(app.root)
    shown = rc.texts(app.root)
    for text in expect:
        assert text in shown, f"signage {name}: {text!r} not on screen"
    rc.shoot("signage", name)


def main() -> None:
    sync = SyncClient(rc.URL, rc.DATA, kind="signage", screen=rc.SIZE)
    app = start(sync)
    assert app.sm.current == "pairing"
    assert sync.enrol_step() == "pending"
    app.pairing.refresh()
    rc.frames(3)
    assert app.pairing.ids.code.text.replace(" ", "") == sync.pairing_code
    shot(app, "pairing")
    rc.ask_for_approval()
    rc.wait_active(sync)
    manifest = rc.sync_all(sync)
    stop(app)

    zone = local_zone(manifest, sync.server_now())
    morning = (sync.server_now().astimezone(zone) + timedelta(days=1)).replace(hour=10, minute=0, second=0,
                                                                             microsecond=0)
    now = FakeNow(morning)
    app = start(sync, now)
    player = app.player
    assert player.current is not None, "the lobby playlist is empty"
    seen, titles = set(), []
    for _ in range(60):
        slide = player.current
        titles.append(slide.title if hasattr(slide, "title") else "")
        wanted = WANT.get(slide.kind)
        title = rc.texts(app.root)
        if slide.kind not in seen and slide.part == 0 and (wanted is None or wanted in title):
            seen.add(slide.kind)
            shot(app, {"document": "document", "stats": "stats"}.get(slide.kind, slide.kind))
        if seen == set(KINDS):
            break
        step(app, now, slide.duration)
    assert seen == set(KINDS), f"slide types seen {sorted(seen)}; the playlist: {titles[:20]}"

    alert = rc.raise_alert("消防疏散演练", "10:30 起门诊楼进行消防疏散演练，请听从工作人员指挥，"
                                       "沿安全出口有序撤离，勿乘电梯。")
    app.apply_manifest(rc.wait_manifest(sync, lambda m: bool(m.get("alert"))))
    rc.frames(3)
    assert "alert" in app.overlays
    shot(app, "alert", "消防疏散演练")
    rc.clear_alert(alert)
    app.apply_manifest(rc.wait_manifest(sync, lambda m: not m.get("alert")))
    settle(app)
    assert "alert" not in app.overlays

    if rc.ORIENT == "portrait":
        assert app.run_command("identify")
        rc.frames(3)
        shot(app, "identify", "门诊大厅信息屏")
        app.hide_overlay("identify")
        rc.frames(2)

    step(app, now, (morning.replace(hour=22) - now()).total_seconds())   # the lobby closes at 18:00 (12:00 at weekends)
    assert "night" in app.overlays and player.current is None
    rc.shoot("signage", "night")
    stop(app)


if __name__ == "__main__":
    main()
