"""Layers of the window: RootLayout (header + ScreenManager, see kiosk.kv) and the overlays drawn on
top of it — idle countdown, attract loop, emergency alert (identify is screen/widgets.kv) — which swallow
every touch."""
from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout

from screen.widgets import Overlay

__all__ = ["AttractOverlay", "IdleOverlay", "RootLayout"]


class RootLayout(FloatLayout):
    """Header bar + ScreenManager (kiosk.kv); overlays are added on top by the app."""


class IdleOverlay(Overlay):
    """The countdown: any touch on it means 继续浏览 (and does not reach the screen below)."""

    def on_touch_up(self, touch):
        super().on_touch_up(touch)
        if self.collide_point(*touch.pos):
            App.get_running_app().keep_browsing()
        return True


class AttractOverlay(Overlay):
    """After a long idle, until touched: the playlist's images full screen with their title in a bar
    of the unit's colour, its notices as large title and opening text."""
    slides = ListProperty([])     # (title, image path, text): kiosk.app.attract_slides
    index = NumericProperty(0)
    image = StringProperty("")
    text = StringProperty("")
    SECONDS = 8

    def on_slides(self, *_):
        self.index = 0
        self._show()

    def advance(self, *_):
        if self.slides:
            self.index = (self.index + 1) % len(self.slides)
            self._show()

    def _show(self):
        if self.slides:
            self.message, self.image, self.text = self.slides[self.index]

    def on_touch_up(self, touch):
        super().on_touch_up(touch)
        App.get_running_app().keep_browsing()
        return True
