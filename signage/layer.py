"""CachedLayer: widgets drawn once into an offscreen texture and redrawn only when they change.

On software GL a frame costs in proportion to the pixels drawn: at 1080p the player's header and
slide (a full-window card, large text textures, the QR code) took tens of milliseconds per frame,
and the scrolling ticker asks for a frame 60 times a second. Inside this layer they are drawn into
a framebuffer only when something in them changes (a new slide, the clock's minute); every other
frame composites that one texture and draws the ticker.
"""
from __future__ import annotations

from kivy.graphics import (Canvas, ClearBuffers, ClearColor, Color, Fbo, PopMatrix, PushMatrix,
                           Rectangle, Translate)
from kivy.properties import ColorProperty
from kivy.uix.boxlayout import BoxLayout

__all__ = ["CachedLayer"]


class CachedLayer(BoxLayout):
    """A BoxLayout whose children are rendered into an Fbo (Kivy redraws an Fbo only when an
    instruction inside it changed) and shown as one textured rectangle."""

    def __init__(self, **kwargs):
        self.canvas = Canvas()
        with self.canvas:
            self.fbo = Fbo(size=(1, 1), with_stencilbuffer=True)
            Color(1, 1, 1, 1)
            self._rect = Rectangle(texture=self.fbo.texture, size=(1, 1))
        with self.fbo.before:
            PushMatrix()
            self._shift = Translate(0, 0)
        with self.fbo:
            self._clear = ClearColor(0, 0, 0, 0)
            ClearBuffers()
        with self.fbo.after:
            PopMatrix()
        super().__init__(**kwargs)
        self.fbind("pos", self._place)
        self.fbind("size", self._place)

    def on_background(self, *_):
        self._clear.rgba = self.background

    def _place(self, *_):
        size = (max(1, int(round(self.width))), max(1, int(round(self.height))))
        if tuple(self.fbo.size) != size:
            self.fbo.size = size
            self._rect.texture = self.fbo.texture
        self._rect.pos, self._rect.size = self.pos, size
        self._shift.xy = (-self.x, -self.y)  # children keep window coordinates

    def add_widget(self, *args, **kwargs):
        canvas, self.canvas = self.canvas, self.fbo
        try:
            super().add_widget(*args, **kwargs)
        finally:
            self.canvas = canvas

    def remove_widget(self, *args, **kwargs):
        canvas, self.canvas = self.canvas, self.fbo
        try:
            super().remove_widget(*args, **kwargs)
        finally:
            self.canvas = canvas

    def clear_widgets(self, *args, **kwargs):
        canvas, self.canvas = self.canvas, self.fbo
        try:
            super().clear_widgets(*args, **kwargs)
        finally:
            self.canvas = canvas
