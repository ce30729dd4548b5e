"""SignageApp: the window, pairing, the manifest in use, overlays and remote commands.

Screen flow: pairing (screen.pairing, until approved and content is cached) → player. The app owns
the server clock (`now`, injectable for tests), the once-per-tick checks (clock text, connection
mark, night screen, identify timeout) and the overlays; the rotation itself is PlayerScreen's.
Sync callbacks arrive on background threads and hop to Kivy's thread with Clock.schedule_once.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition

from content.playlist import alert_of, is_open, local_zone, night_mode
from screen import pacing, present, theme
from screen.branding import branding_of
from screen.remote import RemoteCommands
from screen.widgets import load_kv_once, load_shared_kv
from screen.pairing import PairingScreen
from signage.context import SlideContext
from signage.display import switch_display
from signage.overlays import ORDER, SignageAlert, NightOverlay
from signage.player import PlayerScreen
from signage.slides import unit_of

__all__ = ["IDENTIFY_SECONDS", "SignageApp", "SignageRoot"]

HERE = os.path.dirname(os.path.abspath(__file__))
KV_FILES = [os.path.join(HERE, f"{name}.kv") for name in ("signage", "slides", "ticker", "overlays", "player")]
IDENTIFY_SECONDS = 10


class SignageRoot(FloatLayout):
    """ScreenManager (pairing, player); overlays are added on top by the app."""


class SignageApp(RemoteCommands, App):
    unit_name = StringProperty("医院信息公开")
    brand_colour = ListProperty(list(theme.ACCENT))   # the unit's colour (screen/branding.py)
    logo = StringProperty("")                         # the unit's cached logo file, or ""
    clock_text = StringProperty("")
    contact_mark = StringProperty("")
    portrait = BooleanProperty(False)
    manifest = ObjectProperty(None, allownone=True)

    def __init__(self, sync, server_url: str = "", data_dir: str = "", now=None, upload=None,
                 tick_seconds: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        self.sync, self.server_url, self.data_dir = sync, server_url, data_dir
        self.now = now or sync.server_now
        self.upload, self.tick_seconds = upload, tick_seconds
        self.context = SlideContext(sync, server_url)
        self.overlays: dict = {}
        self.identify_until: datetime | None = None
        self.last_screenshot: str | None = None
        self.commands = {"reload": self.cmd_reload, "screenshot": self.cmd_screenshot,
                         "identify": self.cmd_identify}

    # ---- start ---------------------------------------------------------------------------------
    def load_kv(self, filename=None):
        """The shared rules, then signage's own files, once per process."""
        load_shared_kv()
        for path in KV_FILES:
            load_kv_once(path)
        return True

    def build(self):
        self.title = "Gongkai 信息发布屏"
        root = SignageRoot()
        self.root = root
        self.sm = root.ids.sm
        self.sm.transition = NoTransition()
        self.pairing, self.player = PairingScreen(name="pairing"), PlayerScreen(name="player")
        self.player.setup(self.context, self.queue_batch)
        Window.bind(size=self._resized)
        self._resized(Window, Window.size)
        cached = self.sync.cached_manifest()
        if cached is not None and self.sync.state == "active":
            self.apply_manifest(cached)
        else:
            self.sm.switch_to(self.pairing)
        self._ev = Clock.schedule_interval(self.tick, self.tick_seconds)
        return root

    def _resized(self, _window, size):
        self.portrait = size[1] >= size[0]

    # ---- sync callbacks (other threads) --------------------------------------------------------
    def on_sync_manifest(self, manifest):
        Clock.schedule_once(lambda dt: self.apply_manifest(manifest))

    def on_sync_status(self, state):
        Clock.schedule_once(lambda dt: self.status_changed(state))

    def on_sync_command(self, name, data):
        Clock.schedule_once(lambda dt: self.run_command(name, data))

    def status_changed(self, state):
        if state != "active":
            self.manifest = None
            if "night" in self.overlays:
                self.leave_night()  # the pairing code must be seen
            self.sm.switch_to(self.pairing)

    def queue_batch(self, batch_type, records):
        return self.sync.queue_batch(batch_type, records)

    # ---- content -------------------------------------------------------------------------------
    def apply_manifest(self, manifest: dict):
        """A new verified manifest: the alert changes at once, the playlist at the next boundary."""
        self.manifest = manifest
        self.update_alert()
        self.context.set_manifest(manifest)
        brand = branding_of(manifest, self.sync.media_path)
        self.unit_name, self.brand_colour, self.logo = brand.name, list(brand.colour), brand.logo
        if self.sm.current_screen is not self.player:
            self.sm.switch_to(self.player)
        now = self.now()
        self.player.set_manifest(manifest, now)
        self.tick(0)

    def tick(self, _dt=0):
        """Clock text, connection mark, night screen, identify timeout, then the rotation."""
        if self.manifest is None:
            return
        now = self.now()
        local = now.astimezone(local_zone(self.manifest, now))
        self.clock_text = local.strftime("%m-%d  %H:%M")
        self.contact_mark = present.contact_mark(self.sync.seconds_since_contact())
        if self.identify_until is not None and now >= self.identify_until:
            self.identify_until = None
            self.hide_overlay("identify")
        if night_mode(self.manifest) and not is_open(self.manifest, now):
            if "night" not in self.overlays:
                self.enter_night()
            night = self.show_overlay("night", clock=local.strftime("%H:%M"))
            night.spot = local.hour * 60 + local.minute
        elif "night" in self.overlays:
            self.leave_night()
        self.player.tick(now)

    def enter_night(self):
        """The night screen costs next to nothing: the player leaves the window (nothing beneath
        the black is drawn), the ticker stops, the loop slows to IDLE_FPS and the panel may go off."""
        switch_display(False)
        if self.sm.parent is not None:
            self.root.remove_widget(self.sm)
        self.player.ids.ticker.paused = True
        pacing.set_rate(pacing.IDLE_FPS)

    def leave_night(self):
        self.hide_overlay("night")
        if self.sm.parent is None:
            self.root.add_widget(self.sm, index=len(self.root.children))  # beneath the overlays
        self.player.ids.ticker.paused = "alert" in self.overlays
        pacing.set_rate(None)
        switch_display(True)

    # ---- overlays ------------------------------------------------------------------------------
    def show_overlay(self, name: str, **props):
        overlay = self.overlays.get(name)
        if overlay is None:
            overlay = {"alert": SignageAlert, "night": NightOverlay,
                       "identify": Factory.get("IdentifyOverlay")}[name]()
            self.overlays[name] = overlay
            overlay.size, overlay.pos = self.root.size, self.root.pos  # right in the first frame
            for other in ORDER:  # restack: night < identify < alert
                if other in self.overlays:
                    self.root.remove_widget(self.overlays[other])
                    self.root.add_widget(self.overlays[other])
        if hasattr(overlay, "u"):
            overlay.u = unit_of(*Window.size)
        for key, value in props.items():
            setattr(overlay, key, value)
        return overlay

    def hide_overlay(self, name: str):
        overlay = self.overlays.pop(name, None)
        if overlay is not None:
            self.root.remove_widget(overlay)

    def update_alert(self):
        alert = alert_of(self.manifest)
        self.player.ids.ticker.paused = alert is not None or "night" in self.overlays  # out of sight
        if alert is None:
            self.hide_overlay("alert")
            return
        since = ""
        try:
            when = present.parse_time((self.manifest.get("alert") or {}).get("since"))
            since = f"发布时间 {when.astimezone(local_zone(self.manifest, when)):%Y-%m-%d %H:%M}" if when else ""
        except (ValueError, TypeError, AttributeError):
            pass
        self.show_overlay("alert", title=alert["title"], message=alert["body"], since=since)

    # ---- remote commands -----------------------------------------------------------------------
    def cmd_reload(self, _data):
        """Re-read the cache (re-render everything), then ask the server for anything newer."""
        cached = self.sync.cached_manifest()
        if cached is not None:
            self.player.current = None  # start the rotation afresh
            self.apply_manifest(cached)
        threading.Thread(target=self.sync.sync_once, daemon=True).start()

    def cmd_identify(self, _data):
        name, code = self.identity()
        self.show_overlay("identify", title=name, message=code)
        self.identify_until = self.now() + timedelta(seconds=IDENTIFY_SECONDS)

    def on_stop(self):
        pacing.set_rate(None)
        if getattr(self, "_ev", None):
            self._ev.cancel()
        if self.manifest is not None:
            self.player.stop(self.now())
