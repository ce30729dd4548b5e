"""PlayerScreen: the rotation — which slide is up, for how long, and the next one prepared.

Double buffer: the next slide's widget is built as soon as the current one appears and sits in the
stage beneath it, placed beside the window (laid out at full size, text textures made, image decoded
in a thread, but no pixels drawn — software GL pays per pixel), so the cut only moves it in and
removes the old widget in the same frame — never a black or half-built frame.

Feeds: a new manifest replaces the playlist at the next slide boundary — except that a slide whose
item left the playlist (withdrawn, window closed) is cut at once. `tick(now)` is driven by the app
with server time, so windows and dayparts change exactly at playlist_at's deadline.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from content.playlist import expand_slides, playlist_at, ticker_at
from signage.proof import ProofOfPlay
from signage.slides import build_slide, table_rows_per_page, unit_of
from signage.layer import CachedLayer  # noqa: F401 (Factory name for player.kv)
from signage.ticker import SEPARATOR, Ticker  # noqa: F401 (Factory name for player.kv)

__all__ = ["PlayerScreen"]

READY_GRACE = timedelta(seconds=2)  # wait this long past a slide's end for the next to be decoded


class PlayerScreen(Screen):
    ticker_text = StringProperty("")
    empty = BooleanProperty(True)
    u = NumericProperty(1.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.context = None
        self.proof: ProofOfPlay | None = None
        self.manifest: dict | None = None
        self.items: dict = {}
        self.slides: list = []
        self.pending: list | None = None
        self.deadline = self.ticker_deadline = None
        self.current = self.current_widget = self.started = None
        self.next_slide = self.next_widget = None
        self.position = self.rows_per_page = 0
        self.shown = 0  # slides shown since start (benchmarks, tests)
        Window.bind(size=self._window_resized)
        self._window_resized(Window, Window.size)

    def setup(self, context, queue_batch) -> None:
        self.context, self.proof = context, ProofOfPlay(queue_batch)

    def _window_resized(self, _window, size):
        """The size unit comes from the window, never from this screen's own size: before its first
        layout that is Kivy's default 100×100, and every label would first render at u = 0.3 —
        each such font size a font face kept in memory (about 2.5 MB each for Noto Sans CJK)."""
        self.u = unit_of(*size)
        for widget in (self.current_widget, self.next_widget):
            if widget is not None:
                widget.u = self.u

    # ---- feed --------------------------------------------------------------------------------
    def set_manifest(self, manifest: dict, now: datetime) -> None:
        self.manifest = manifest
        items = manifest.get("items") if isinstance(manifest, dict) else None
        self.items = {i.get("id"): i for i in items if isinstance(i, dict)} if isinstance(items, list) else {}
        self.refresh(now)
        self.refresh_ticker(now)

    def refresh(self, now: datetime) -> None:
        """Recompute the playlist at `now`; cut at once only if the playing item left it."""
        entries, self.deadline = playlist_at(self.manifest, now)
        stage = self.ids.stage
        self.rows_per_page = table_rows_per_page(stage.width, stage.height, self.u)
        slides = expand_slides(self.manifest, entries, self.rows_per_page, self.context.pdf_page_count)
        if self.current is None or self.current.item not in {e.item for e in entries}:
            self.slides, self.pending = slides, None
            self.show(self.following(self.slides, self.current), now)
        else:
            self.pending = slides
            self.prepare_next()

    def refresh_ticker(self, now: datetime) -> None:
        texts, self.ticker_deadline = ticker_at(self.manifest, now)
        self.ticker_text = SEPARATOR.join(texts)

    # ---- rotation ----------------------------------------------------------------------------
    def tick(self, now: datetime) -> None:
        if self.manifest is None:
            return
        stage = self.ids.stage
        if (self.deadline is not None and now >= self.deadline) \
                or self.rows_per_page != table_rows_per_page(stage.width, stage.height, self.u):
            self.refresh(now)  # a window/daypart boundary, or the stage changed size (tables re-page)
        if self.ticker_deadline is not None and now >= self.ticker_deadline:
            self.refresh_ticker(now)
        if self.current is None:
            if self.slides or self.pending:
                self.advance(now)
            return
        end = self.started + timedelta(seconds=self.current.duration)
        ready = self.next_widget is None or self.next_widget.ready
        if now >= end and (ready or now >= end + READY_GRACE):
            self.advance(now)

    def advance(self, now: datetime) -> None:
        if self.pending is not None:
            self.slides, self.pending = self.pending, None
        self.show(self.following(self.slides, self.current), now)

    def following(self, slides: list, current):
        """The slide after `current` in `slides` (by key), or at its old position if it is gone."""
        if not slides:
            return None
        if current is None:
            return slides[0]
        keys = [s.key for s in slides]
        if current.key in keys:
            return slides[(keys.index(current.key) + 1) % len(slides)]
        return slides[self.position % len(slides)]

    def show(self, slide, now: datetime) -> None:
        stage, old = self.ids.stage, self.current_widget
        self.proof.stop(now)
        if slide is None:
            self._drop(old)
            self._drop(self.next_widget)
            self.current = self.current_widget = self.next_slide = self.next_widget = None
            self.empty = True
            return
        if old is not None and self.current is not None and slide.key == self.current.key:
            widget = old  # a one-slide playlist: keep it up, count a new showing
        elif self.next_widget is not None and self.next_slide.key == slide.key:
            widget, self.next_widget, self.next_slide = self.next_widget, None, None
        else:
            widget = self._build(slide)
            stage.add_widget(widget)
        if widget is not old:
            stage.remove_widget(widget)
            widget.pos_hint = {"x": 0, "y": 0}
            stage.add_widget(widget)  # in place, on top; the old slide goes in the same frame
            self._drop(old)
        keys = [s.key for s in self.slides]
        self.position = keys.index(slide.key) if slide.key in keys else 0
        self.current, self.current_widget, self.started, self.empty = slide, widget, now, False
        self.shown += 1
        self.proof.start(slide, now)
        self.prepare_next()

    def prepare_next(self) -> None:
        """Build the slide that follows beneath the current one (or keep it if still right)."""
        nxt = self.following(self.pending if self.pending is not None else self.slides, self.current)
        if nxt is None or (self.current is not None and nxt.key == self.current.key):
            self._drop(self.next_widget)
            self.next_slide = self.next_widget = None
            return
        if self.next_widget is not None and self.next_slide.key == nxt.key \
                and self.next_widget.slide == nxt:
            return
        self._drop(self.next_widget)
        self.next_slide, self.next_widget = nxt, self._build(nxt)
        self.next_widget.pos_hint = {"x": 2, "y": 0}  # laid out and textured, off-screen: no pixels drawn
        self.ids.stage.add_widget(self.next_widget, index=len(self.ids.stage.children))  # beneath

    def _build(self, slide):
        stage = self.ids.stage
        box = (max(1, int(stage.width)), max(1, int(stage.height)))
        widget = build_slide(slide, self.items.get(slide.item), self.context, box)
        widget.u = self.u
        widget.size_hint, widget.pos_hint = (1, 1), {"x": 0, "y": 0}
        return widget

    def _drop(self, widget) -> None:
        if widget is not None and widget.parent is not None:
            widget.parent.remove_widget(widget)

    def stop(self, now: datetime) -> None:
        """Close the current showing and queue what is left (app stop)."""
        if self.proof is not None:
            self.proof.stop(now)
            self.proof.flush()
        self.ids.ticker.stop()
