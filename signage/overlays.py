"""Layers above the slides: the emergency alert (above everything), identify, night screen.

They are screen.widgets' touch-swallowing Overlay; the identify layer is the shared IdentifyOverlay
(screen/widgets.kv). ORDER is the stacking order, bottom first.
"""
from __future__ import annotations

from kivy.properties import NumericProperty, StringProperty

from screen.widgets import Overlay

__all__ = ["ORDER", "SignageAlert", "NightOverlay"]

ORDER = ("night", "identify", "alert")


class SignageAlert(Overlay):
    """紧急通知: white on deep red with black-and-yellow bands — silent, readable from afar."""
    since = StringProperty("")
    u = NumericProperty(1.0)


class NightOverlay(Overlay):
    """Black screen with a small clock that moves each minute (no burn-in)."""
    clock = StringProperty("")
    u = NumericProperty(1.0)
    spot = NumericProperty(0)
