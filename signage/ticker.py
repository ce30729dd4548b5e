"""The 滚动字幕 line along the bottom: short notices scrolling right to left, clipped to its band."""
from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.stencilview import StencilView

__all__ = ["SEPARATOR", "Ticker"]

SEPARATOR = "　　◆　　"


class Ticker(StencilView):
    """Scrolls `text` at `speed` pixels per second. Each step redraws the whole window (software GL:
    tens of milliseconds at 1080p), so the frame callback runs only while there is text and the
    line can be seen: empty text or `paused` (night screen, alert on top) stops it."""
    text = StringProperty("")
    speed = NumericProperty(140)
    offset = NumericProperty(0)
    u = NumericProperty(1.0)
    paused = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ev = None

    def on_text(self, *_):
        self.offset = self.width
        self._schedule()

    def on_paused(self, *_):
        self._schedule()

    def _schedule(self):
        running = bool(self.text) and not self.paused
        if running and self._ev is None:
            self._ev = Clock.schedule_interval(self.step, 0)
        elif not running and self._ev is not None:
            self._ev.cancel()
            self._ev = None

    @property
    def running(self) -> bool:
        return self._ev is not None

    def step(self, dt):
        self.offset -= self.speed * self.u * min(dt, 0.1)
        if self.offset < -self.ids.line.texture_size[0]:
            self.offset = self.width

    def stop(self):
        if self._ev is not None:
            self._ev.cancel()
            self._ev = None
