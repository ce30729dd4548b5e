"""What both screen apps draw with: the touch-swallowing Overlay, WrapLabel/WrapButton (Chinese line
breaking, screen/wraplabel.py) and the shared KV rules (widgets.kv: KLabel, KButton, KToggle,
NavBar, Card, IdentifyOverlay), loaded once per process."""
from __future__ import annotations

import os

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout

from screen.wraplabel import WrapButton, WrapLabel  # noqa: F401 (Factory names for the .kv rules)

__all__ = ["Overlay", "load_kv_once", "load_shared_kv"]

HERE = os.path.dirname(os.path.abspath(__file__))


def load_kv_once(path: str) -> None:
    """Load a .kv file unless already loaded (loading twice would apply its rules twice)."""
    if os.path.abspath(path) not in {os.path.abspath(f) for f in Builder.files}:
        Builder.load_file(path)


def load_shared_kv() -> None:
    """The rules both apps use, then the pairing screen's."""
    load_kv_once(os.path.join(HERE, "widgets.kv"))
    load_kv_once(os.path.join(HERE, "pairing.kv"))


class Overlay(FloatLayout):
    """A full-window layer that swallows touches (idle countdown, identify, alert, night)."""
    title = StringProperty("")
    message = StringProperty("")
    button = StringProperty("")

    def on_touch_down(self, touch):
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch):
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch):
        super().on_touch_up(touch)
        return True
