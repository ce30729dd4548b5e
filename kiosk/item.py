"""Item page: title, badge, the Markdown-subset body, images and PDF pages from the cache (swipe),
the table in a RecycleView (20 000 rows scroll smoothly), and the item's own feedback QR code."""
from __future__ import annotations

import os
import tempfile

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from screen import markdown, present
from screen.pdfpages import pdf_pages
from screen.qr import qr_texture

__all__ = ["ItemScreen", "TableCell", "TableRow"]

STYLES = {"h1": (32, True), "h2": (28, True), "h3": (24, True), "p": (20, False), "li": (20, False),
          "tr": (18, False)}
MAX_IMAGES = 30


class TableCell(Label):
    """A table cell whose text changes as the RecycleView recycles its row. Each new text is drawn
    into a fresh texture: rewriting the old one makes a software GL driver (Mesa llvmpipe) wait for
    the frame still drawing with it, ~20 ms per cell, which made scrolling 20 000 rows stutter."""

    def on_text(self, *_):
        self._label.texture = None  # the core label then creates a new texture on its next refresh


class TableRow(BoxLayout):
    """One table row (RecycleView view class); cells are plain text shown without markup."""
    cells = ListProperty([])
    highlight = BooleanProperty(False)
    header = BooleanProperty(False)

    def on_cells(self, _, cells):
        labels = self.children[::-1]
        if len(labels) != len(cells):
            self.clear_widgets()
            labels = [Factory.TableCell() for _ in cells]
            for label in labels:
                self.add_widget(label)
        for label, value in zip(labels, cells):
            label.text = value
            label.bold = self.header


class ItemScreen(Screen):
    item_title = StringProperty("")
    badge = StringProperty("")
    date = StringProperty("")
    qr_url = StringProperty("")
    has_table = BooleanProperty(False)
    highlight_row = NumericProperty(-1)

    def show(self, item: dict | None = None, row: int | None = None, **_):
        if item is None:
            return
        app = App.get_running_app()
        self.item = item
        self.item_title = present.escape(item.get("title"), present.MAX_TITLE) or "（无标题）"
        self.badge = present.badge_text(app.manifest, item, app.now())
        self.date = present.fmt_date(item.get("published_at"))
        self.qr_url = present.text(item.get("feedback_url"), 500) or app.feedback_url
        if self.qr_url:
            self.ids.qr.texture = qr_texture(self.qr_url)
        self._build_body(item)
        self._build_media(item, app)
        self._build_table(item, row)
        self.ids.scroll.scroll_y = 1
        Clock.schedule_once(lambda dt: setattr(self.ids.scroll, "scroll_y", 1))  # after the relayout

    def _build_body(self, item):
        box = self.ids.body
        box.clear_widgets()
        for style, markup in markdown.markdown_blocks(item.get("body")):
            size, bold = STYLES.get(style, (20, False))
            label = Factory.BodyLabel(text=markup, bold=bold)
            label.base_size = size
            box.add_widget(label)

    def _build_media(self, item, app):
        box = self.ids.media
        box.clear_widgets()
        media = [m for m in (item.get("media") or []) if isinstance(m, dict)][:MAX_IMAGES]
        images, others = [], 0
        for m in media:
            kind, sha = present.text(m.get("type")), present.text(m.get("sha256"))
            try:
                path = app.sync.media_path(sha)
            except ValueError:
                path = ""
            path = path if path and os.path.isfile(path) else ""
            if kind.startswith("image/"):
                images.append(path)
            elif kind == "application/pdf" and path:
                pages, total = pdf_pages(path, os.path.join(app.data_dir or tempfile.gettempdir(), "pages"), sha)
                images.extend(pages or [""])
                others += total - len(pages)  # pages beyond MAX_PAGES: on the phone
            else:
                others += 1
        if images:
            carousel = Factory.MediaCarousel()
            shown = [path for path in images if path]
            for path in images:
                if path:
                    page = Factory.MediaImage(source=path)
                    page.pages = shown
                else:
                    page = Factory.MediaMissing(text="图片暂不可用")
                carousel.add_widget(page)
            box.add_widget(carousel)
            if shown:
                box.add_widget(Factory.MediaHint(text="轻触图片可全屏放大查看" + ("，左右滑动翻页" if len(images) > 1 else "")))
        if others:
            box.add_widget(Factory.MediaMissing(text=f"另有 {others} 页/个附件：请扫码在手机上查看"))

    def _build_table(self, item, row):
        table = present.table_of(item)
        rv = self.ids.table
        self.has_table = table is not None
        if table is None:
            rv.data = []
            self.ids.table_header.cells = []
            return
        columns, rows = table
        self.ids.table_header.cells = columns
        self.highlight_row = row if row is not None else -1
        rv.data = [{"cells": cells, "highlight": n == row} for n, cells in enumerate(rows)]
        rv.scroll_y = 1 if not row or len(rows) < 2 else max(0.0, 1 - row / (len(rows) - 1))

    def reset(self):
        self.ids.body.clear_widgets()
        self.ids.media.clear_widgets()
        self.ids.table.data = []
        self.item = None
