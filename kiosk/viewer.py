"""Full-window image viewer: tapping an image or PDF page on an item page opens it here, where two
fingers pinch-zoom (1–4×), a double tap toggles 2×, one finger pans a zoomed page, and ‹ › turn
pages. It lives outside the item page's swipe carousel because the carousel takes the first
finger of every touch for its own swipe, which would leave a pinch with only one finger."""
from __future__ import annotations

from kivy.graphics.transformation import Matrix
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.scatter import Scatter

from screen.widgets import Overlay

__all__ = ["ImageViewer", "ZoomScatter"]

MAX_ZOOM = 4.0
DOUBLE_TAP_ZOOM = 2.0


class ZoomScatter(Scatter):
    """A Scatter that zooms but never shrinks below the view or drifts off it."""

    def on_touch_down(self, touch):
        if self.collide_point(*touch.pos) and touch.is_double_tap:
            self.toggle_zoom(touch.pos)
            return True
        return super().on_touch_down(touch)

    def toggle_zoom(self, at):
        if self.scale > 1.01:
            self.reset()
        else:
            self.apply_transform(Matrix().scale(DOUBLE_TAP_ZOOM, DOUBLE_TAP_ZOOM, 1), anchor=self.to_local(*at))
            self.keep_inside()

    def transform_with_touch(self, touch):
        changed = super().transform_with_touch(touch)
        self.keep_inside()
        return changed

    def keep_inside(self):
        """At 1× the page sits exactly in the view; zoomed, its edges never come inside the view."""
        view = self.parent
        if view is None:
            return
        if self.scale <= 1.0:
            self.reset()
            return
        w, h = self.bbox[1]
        x = min(view.x, max(view.right - w, self.bbox[0][0]))
        y = min(view.y, max(view.top - h, self.bbox[0][1]))
        if (x, y) != tuple(self.bbox[0]):
            self.pos = (self.pos[0] + x - self.bbox[0][0], self.pos[1] + y - self.bbox[0][1])

    def reset(self):
        self.transform = Matrix()
        if self.parent is not None:
            self.pos = self.parent.pos


class ImageViewer(Overlay):
    """The overlay (see kiosk.kv): `sources` are image files, `index` the one shown."""
    sources = ListProperty([])
    index = NumericProperty(0)
    source = StringProperty("")
    MAX_ZOOM = MAX_ZOOM

    def on_sources(self, *_):
        self.show(min(self.index, max(0, len(self.sources) - 1)))

    def on_index(self, *_):
        self.show(self.index)

    def show(self, index: int):
        if not self.sources:
            self.source = ""
            return
        self.index = max(0, min(index, len(self.sources) - 1))
        self.source = self.sources[self.index]
        scatter = self.ids.get("scatter")
        if scatter is not None:
            scatter.reset()

    def turn(self, step: int):
        if 0 <= self.index + step < len(self.sources):
            self.index += step
