"""KioskApp: the window, its screens, and everything that is not one screen's business.

Screen flow: pairing (until approved and content is cached) → home → category → item, and search.
The app owns: the manifest in use, the search index, large-text mode, the idle reset, the connection
mark (screen.present.contact_mark), overlays (idle countdown, identify, emergency alert), remote commands, touch-view and
rating records. Sync callbacks arrive on background threads and hop here with Clock.schedule_once.
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition

from content.playlist import local_zone
from screen import pacing, present
from screen import theme
from screen.branding import branding_of
from kiosk.overlays import AttractOverlay, RootLayout  # noqa: F401 (Factory names for kiosk.kv)
from kiosk.viewer import ImageViewer, ZoomScatter  # noqa: F401 (Factory names for kiosk.kv)
from screen.remote import RemoteCommands
from screen.widgets import Overlay, load_kv_once, load_shared_kv
from kiosk.search import SearchIndex

__all__ = ["KioskApp"]

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENS = {  # name → (module, class); each module has its .kv beside it
    "pairing": ("screen.pairing", "PairingScreen"), "home": ("kiosk.home", "HomeScreen"),
    "category": ("kiosk.category", "CategoryScreen"), "item": ("kiosk.item", "ItemScreen"),
    "search": ("kiosk.searchscreen", "SearchScreen"),
}
VIEW_BATCH = 20  # touch views queued together
IDLE_PACE_SECONDS = 10  # untouched this long: the loop slows to IDLE_FPS (a first touch waits ≤ 0.1 s)
IDLE_FPS = 10.0


class KioskApp(RemoteCommands, App):
    large_text = BooleanProperty(False)
    text_scale = NumericProperty(1.0)
    target = NumericProperty(dp(theme.MIN_TARGET + 4))
    unit_name = StringProperty("医院信息公开")
    brand_colour = ListProperty(list(theme.ACCENT))   # the unit's colour (screen/branding.py)
    logo = StringProperty("")                         # the unit's cached logo file, or ""
    hotline = StringProperty("")
    clock_text = StringProperty("")
    contact_mark = StringProperty("")
    feedback_url = StringProperty("")
    portrait = BooleanProperty(True)
    manifest = ObjectProperty(None, allownone=True)

    def __init__(self, sync, server_url: str = "", data_dir: str = "", idle_seconds: float = 60,
                 countdown_seconds: float = 20, attract_seconds: float = 300, clock=time.monotonic,
                 upload=None, **kwargs):
        super().__init__(**kwargs)
        self.sync, self.server_url, self.data_dir = sync, server_url, data_dir
        self.idle_seconds, self.countdown_seconds, self.clock = idle_seconds, countdown_seconds, clock
        self.attract_seconds = attract_seconds
        self.upload = upload
        self.items: list[dict] = []
        self.index = SearchIndex([])
        self.screens: dict = {}
        self.last_touch = clock()
        self.overlays: dict[str, Overlay] = {}
        self._view = None
        self._views: list[dict] = []
        self._visible_ids: tuple = ()
        self.commands = {"reload": self.cmd_reload, "screenshot": self.cmd_screenshot,
                         "identify": self.cmd_identify}
        self.last_screenshot: str | None = None

    # ---- start ---------------------------------------------------------------------------------
    def build(self):
        self.title = "Gongkai 信息公开"
        root = Factory.RootLayout()
        self.sm = root.ids.sm
        self.sm.transition = NoTransition()
        Window.bind(on_touch_down=self._touched, size=self._resized)
        self._resized(Window, Window.size)
        self.root = root
        cached = self.sync.cached_manifest()
        if cached is not None and self.sync.state == "active":
            self.apply_manifest(cached)
        else:
            self.show("pairing")
        Clock.schedule_interval(self.tick, 1.0)
        self.tick(0)
        return root

    def load_kv(self, filename=None):
        """The shared rules, then kiosk.kv (rules only, no root), once per process however many apps run."""
        load_shared_kv()
        load_kv_once(os.path.join(HERE, "kiosk.kv"))
        return True

    def on_large_text(self, *_):
        self.text_scale = theme.LARGE_SCALE if self.large_text else 1.0
        self.target = dp(theme.MIN_TARGET_LARGE if self.large_text else theme.MIN_TARGET + 4)
        if "home" in self.screens and self.manifest is not None:
            self.screens["home"].refresh()

    def fs(self, size: float) -> float:
        """Font size in sp scaled for large-text mode (use as app.fs(20) with app.text_scale bound)."""
        return sp(size) * self.text_scale

    def _resized(self, _window, size):
        self.portrait = size[1] >= size[0]

    # ---- screens -------------------------------------------------------------------------------
    def screen(self, name: str):
        """The screen `name`, built (and its .kv loaded) on first use."""
        if name not in self.screens:
            module_name, cls_name = SCREENS[name]
            module = __import__(module_name, fromlist=[cls_name])
            load_kv_once(module.__file__[:-3] + ".kv")
            self.screens[name] = getattr(module, cls_name)(name=name)
        return self.screens[name]

    def show(self, name: str, **kwargs):
        """Switch to screen `name`, passing kwargs to its show(); ends the current item view."""
        self.end_view()
        target = self.screen(name)
        if hasattr(target, "show"):
            target.show(**kwargs)
        if self.sm.current_screen is not target:
            self.sm.switch_to(target)
        return target

    def open_item(self, item: dict, row: int | None = None):
        current = self.sm.current_screen.name if self.sm.current_screen else "home"
        self._back = current if current in ("category", "search") else "home"
        self.show("item", item=item, row=row)
        self._view = (item, datetime.now(timezone.utc).isoformat(timespec="seconds"), self.clock())

    def previous_screen(self) -> str:
        """Where 返回 on the item page goes: the list or search it was opened from."""
        return getattr(self, "_back", "home")

    def go_home(self, *_):
        self.show("home" if self.manifest is not None else "pairing")

    # ---- content -------------------------------------------------------------------------------
    def on_sync_manifest(self, manifest):       # sync thread
        Clock.schedule_once(lambda dt: self.apply_manifest(manifest))

    def on_sync_status(self, state):            # sync thread
        Clock.schedule_once(lambda dt: self.status_changed(state))

    def on_sync_command(self, name, data):      # events thread
        Clock.schedule_once(lambda dt: self.run_command(name, data))

    def status_changed(self, state):
        if self.manifest is None or state != "active":
            if state != "active":
                self.manifest = None
            self.show("pairing")

    def now(self) -> datetime:
        """Server time (local clock + measured offset), so items expire on time offline."""
        return self.sync.server_now()

    def apply_manifest(self, manifest: dict):
        self.manifest = manifest
        device = manifest.get("device") if isinstance(manifest.get("device"), dict) else {}
        unit = device.get("unit") if isinstance(device.get("unit"), dict) else {}
        brand = branding_of(manifest, self.sync.media_path)
        self.unit_name, self.brand_colour, self.logo = brand.name, list(brand.colour), brand.logo
        self.hotline = present.text(unit.get("hotline"), 40)
        self.feedback_url = self._general_feedback_url(manifest, device)
        self.refresh_items(force=True)
        self.update_alert()
        on = self.sm.current_screen.name if self.sm.current_screen else "pairing"
        if on == "pairing":
            self.show("home")
        elif on in ("home", "category", "search"):
            self.screen(on).refresh()

    def _general_feedback_url(self, manifest, device) -> str:
        if present.is_web_url(device.get("feedback_base")):
            return present.text(device.get("feedback_base"), 500)
        for item in manifest.get("items") or []:
            url = present.text(item.get("feedback_url")) if isinstance(item, dict) else ""
            if "/f/" in url:
                return url.split("?", 1)[0]
        return present.feedback_url(device, self.server_url)

    def refresh_items(self, force=False):
        """Recompute visible items (window by server time); rebuild the search index on change."""
        items = present.visible(self.manifest, self.now())
        ids = tuple((i.get("id"), i.get("revision")) for i in items)
        if force or ids != self._visible_ids:
            self._visible_ids, self.items = ids, items
            self.index = index = SearchIndex(items)
            Clock.schedule_once(lambda dt: threading.Thread(target=index.prepare_rows, name="gongkai-search-index",
                                                            daemon=True).start(), 1.0)  # after the first frame
            if not force and "home" in self.screens:
                self.screens["home"].refresh()

    # ---- clock, idle, offline ------------------------------------------------------------------
    def _touched(self, *_):
        """Any touch counts as activity (a touch on the countdown is swallowed by it)."""
        self.last_touch = self.clock()
        if pacing.rate() == IDLE_FPS:
            pacing.set_rate(None)  # someone is here: full frame rate again
        return False

    def tick(self, _dt=0):
        """Every second: clock text, the connection mark, item windows, idle countdown."""
        now = self.now()
        now = now.astimezone(local_zone(self.manifest, now.astimezone()))  # the unit's wall clock
        self.clock_text = now.strftime("%Y-%m-%d  %H:%M")
        self.contact_mark = present.contact_mark(self.sync.seconds_since_contact()) if self.manifest else ""
        if self.manifest is not None and now.minute != getattr(self, "_minute", None):
            self._minute = now.minute  # once a minute: items leave exactly when their window ends
            self.refresh_items()
        self.idle_tick()

    def is_clean(self) -> bool:
        home = self.screens.get("home")
        on_home = self.sm.current_screen is not None and self.sm.current_screen.name in ("home", "pairing")
        return on_home and not self.large_text and not (home and home.pending_rating)

    def idle_tick(self):
        idle = self.clock() - self.last_touch
        if idle >= IDLE_PACE_SECONDS and pacing.rate() != IDLE_FPS:
            pacing.set_rate(IDLE_FPS)  # nobody touching: the loop wakes 10 times a second, not 60
        if idle < self.idle_seconds or self.manifest is None:
            return
        if self.is_clean():
            self.hide_overlay("idle")
            if idle >= self.attract_seconds and "attract" not in self.overlays:
                self.start_attract()
            return
        left = self.idle_seconds + self.countdown_seconds - idle
        if left <= 0:
            self.reset_session()
            return
        overlay = self.show_overlay("idle", title="还在浏览吗？",
                                    message=f"{int(left + 0.999)} 秒后返回首页", button="继续浏览")
        overlay.message = f"{int(left + 0.999)} 秒后返回首页"

    def keep_browsing(self, *_):
        self.last_touch = self.clock()
        self.hide_overlay("idle")
        self.hide_overlay("attract")

    def attract_slides(self) -> list[tuple[str, str, str]]:
        """(title, image path, text) of each slide: the playlist's items (docs/signage.md) — every
        cached image full screen, a notice as its title and opening text — or, without a playlist,
        the newest items' images and notices; all from the cache, so it plays offline too."""
        by_id = {i.get("id"): i for i in self.items}
        chosen = [by_id.get(e.get("item")) for e in (self.manifest or {}).get("playlist") or []
                  if isinstance(e, dict)]
        slides = []
        for item in [i for i in chosen if isinstance(i, dict)] or self.items[:12]:
            title, before = present.text(item.get("title"), 60), len(slides)
            for m in item.get("media") if isinstance(item.get("media"), list) else []:
                if not isinstance(m, dict) or not str(m.get("type", "")).startswith("image/"):
                    continue
                try:
                    path = self.sync.media_path(m.get("sha256"))
                except (ValueError, TypeError):
                    continue
                if os.path.isfile(path):
                    slides.append((title, path, ""))
            if len(slides) == before and title:
                slides.append((title, "", present.plain_excerpt(item.get("body"), 140)))
        return slides or [(self.unit_name, "", "")]

    def start_attract(self):
        overlay = self.show_overlay("attract", title=self.unit_name, button="轻触屏幕开始浏览")
        overlay.slides = self.attract_slides()
        overlay._ev = Clock.schedule_interval(overlay.advance, AttractOverlay.SECONDS)

    def reset_session(self):
        """Nothing of the previous person's session remains: home, normal text, search cleared."""
        self.hide_overlay("idle")
        self.hide_overlay("viewer")
        self.end_view()
        self.flush_views()
        self.large_text = False
        for screen in self.screens.values():
            if hasattr(screen, "reset"):
                screen.reset()
        self.last_touch = self.clock()
        self.go_home()

    # ---- overlays ------------------------------------------------------------------------------
    def show_overlay(self, name: str, **props) -> Overlay:
        overlay = self.overlays.get(name)
        if overlay is None:
            cls = {"idle": "IdleOverlay", "identify": "IdentifyOverlay", "alert": "AlertOverlay",
                   "attract": "AttractOverlay", "viewer": "ImageViewer"}[name]
            overlay = Factory.get(cls)()
            self.overlays[name] = overlay
            self.root.add_widget(overlay)
        for key, value in props.items():
            setattr(overlay, key, value)
        if "alert" in self.overlays and name != "alert":  # the alert stays above everything
            alert = self.overlays["alert"]
            self.root.remove_widget(alert)
            self.root.add_widget(alert)
        return overlay

    def open_viewer(self, sources: list[str], index: int = 0):
        """Full-window zoomable view of an item's images / PDF pages (kiosk.viewer)."""
        viewer = self.show_overlay("viewer")
        viewer.index = 0
        viewer.sources = [s for s in sources if s]
        viewer.index = max(0, min(index, len(viewer.sources) - 1))
        return viewer

    def hide_overlay(self, name: str):
        overlay = self.overlays.pop(name, None)
        if overlay is not None and getattr(overlay, "_ev", None):
            overlay._ev.cancel()
        if overlay is not None:
            self.root.remove_widget(overlay)

    def update_alert(self):
        alert = self.manifest.get("alert") if isinstance(self.manifest, dict) else None
        if isinstance(alert, dict) and alert:
            title = present.text(alert.get("title") or "紧急通知", 60)
            body = present.text(alert.get("body") or alert.get("text") or alert.get("message"), 600)
            self.show_overlay("alert", title=title, message=body)
        else:
            self.hide_overlay("alert")

    # ---- remote commands -----------------------------------------------------------------------
    def cmd_reload(self, _data):
        cached = self.sync.cached_manifest()
        if cached is not None:
            self.apply_manifest(cached)
        threading.Thread(target=self.sync.sync_once, daemon=True).start()

    def cmd_identify(self, _data, seconds: float = 10):
        name, code = self.identity()
        self.show_overlay("identify", title=name, message=code)
        Clock.schedule_once(lambda dt: self.hide_overlay("identify"), seconds)

    # ---- analytics -----------------------------------------------------------------------------
    def end_view(self):
        """Close the current item view: item, revision, start, duration (no personal data)."""
        if self._view is None:
            return
        item, at, started = self._view
        self._view = None
        self._views.append({"item": item.get("id"), "revision": item.get("revision"), "at": at,
                            "duration": round(max(0.0, self.clock() - started), 1)})
        if len(self._views) >= VIEW_BATCH:
            self.flush_views()

    def flush_views(self):
        if self._views:
            views, self._views = self._views, []
            try:
                self.sync.queue_batch("view", views)
            except ValueError:
                pass

    def queue_rating(self, rating: str, reason: str | None = None):
        record = {"rating": rating, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if reason:
            record["reason"] = reason
        try:
            self.sync.queue_batch("rating", [record])
        except ValueError:
            pass

    def on_stop(self):
        pacing.set_rate(None)
        self.end_view()
        self.flush_views()
