"""Slide widgets, one per slide type, all with the item's feedback QR code in the corner.

`build_slide(slide, item, context)` makes the widget for a content.playlist.Slide. Every widget
has `ready`: False until its image is decoded; the player adds the next slide beneath the playing
one (fully covered) so its layout and text textures are done before it is revealed. Anything
missing or malformed gives a placeholder notice, never an exception.
"""
from __future__ import annotations

import math

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

from screen import markdown, present
from screen.qr import qr_texture
from signage.images import load_texture_async
from signage.textfit import FitLabel  # noqa: F401 (Factory name for slides.kv)

__all__ = ["PLACEHOLDER", "SlideView", "build_slide", "clip", "is_wide", "px", "table_rows_per_page", "unit_of"]

PLACEHOLDER = "内容暂不可用，请扫码在手机上查看。"
MAX_BODY = 3000


ROW, CELL_FONT = 56, 30  # table row height and cell font size at u = 1 (1080-pixel short side)


def unit_of(width: float, height: float) -> float:
    """Size unit: 1.0 on a 1080-pixel short side, so layouts scale with the panel."""
    return max(0.3, min(width, height) / 1080.0)


def is_wide(width: float, height: float) -> bool:
    """Landscape layout: the QR code sits beside the content instead of below it."""
    return width > height * 1.2


def px(value: float) -> int:
    """Whole pixels for font sizes, so the font cache is reused between slides."""
    return max(1, int(round(value)))


def table_rows_per_page(width: float, height: float, u: float) -> int:
    """Rows of a table page of this size at a readable size (never shrunk; long tables get pages)."""
    chrome = 96 + 120 + 44 + 24 + (70 if is_wide(width, height) else 240)  # padding, title, meta, footer
    return max(3, int((height - u * chrome) // px(ROW * u)) - 1)  # minus the header row


def clip(text: str, width: float, font: float) -> str:
    """Cut a cell to its column: CJK ≈ 1 em, other characters ≈ 0.6 em, conservatively."""
    used, out = 0.0, []
    for ch in text.replace("\n", " "):
        used += font * (1.0 if ord(ch) > 0x2E80 else 0.62)
        if used > width - font:
            return "".join(out) + "…"
        out.append(ch)
    return "".join(out)


class SlideView(FloatLayout):
    """Title, category · date, content, and a footer with the page text and the QR code."""
    slide = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    meta = StringProperty("")
    page_text = StringProperty("")
    qr_url = StringProperty("")
    u = NumericProperty(1.0)
    wide = BooleanProperty(False)
    area = ListProperty([0, 0, 100, 100])  # x, y, w, h of the content box (set by slides.kv)
    ready = BooleanProperty(True)

    def on_size(self, *_):
        self.wide = is_wide(*self.size)  # u is the window's unit, set by the player

    def on_qr_url(self, *_):
        self.ids.qr.texture = qr_texture(self.qr_url) if self.qr_url else None


class NoticeSlide(SlideView):
    body = StringProperty("")


class ImageSlide(SlideView):
    texture = ObjectProperty(None, allownone=True)
    missing = BooleanProperty(False)
    framed = BooleanProperty(False)  # document pages: a thin frame shows the white page


class TableColumn(BoxLayout):
    """One column of a table page: header cell over one multi-line Label (slides.kv)."""
    table = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    text = StringProperty("")


class TableSlide(SlideView):
    """A page of a table: one multi-line Label per column (a few textures, not one per cell),
    rows at a fixed pitch with stripes drawn beneath; cells cut to their column, never shrunk."""
    columns = ListProperty([])
    rows = ListProperty([])
    texts = ListProperty([])     # one text per column: its cells joined by newlines
    widths = ListProperty([])    # column width fractions
    font = NumericProperty(30)
    pitch = NumericProperty(56)  # row height in pixels
    line_height = NumericProperty(1.5)
    inset = NumericProperty(0)   # centres each line in its row

    def on_rows(self, *_):
        def ems(text):
            return sum(1.0 if ord(c) > 0x2E80 else 0.62 for c in text)
        weights = [max(3.0, min(24.0, max([ems(c)] + [ems(r[n]) for r in self.rows])))
                   for n, c in enumerate(self.columns)]
        total = sum(weights) or 1.0
        self.widths = [w / total for w in weights]
        grid = self.ids.grid
        grid.clear_widgets()
        for name, share in zip(self.columns, self.widths):
            grid.add_widget(TableColumn(table=self, title=name, size_hint_x=share))
        self.relayout()

    def on_area(self, *_):
        self.relayout()

    def on_u(self, *_):
        self.relayout()

    def relayout(self):
        if not self.columns:
            return
        from kivy.core.text import Label as CoreLabel
        font, pitch = px(CELL_FONT * self.u), px(ROW * self.u)
        line = CoreLabel(text="国", font_size=font).render()[1] or font
        self.font, self.pitch, self.line_height, self.inset = font, pitch, (pitch + 0.5) / line, (pitch - line) / 2
        width = self.area[2]
        self.texts = ["\n".join(clip(r[n], width * f, font) for r in self.rows) for n, f in enumerate(self.widths)]
        for column, text in zip(reversed(self.ids.grid.children), self.texts):
            column.text = text
        self.draw_stripes()

    def draw_stripes(self):
        stripes = self.ids.stripes
        if len(stripes.children) != len(self.rows):
            stripes.clear_widgets()
            for r in range(len(self.rows)):
                stripes.add_widget(Stripe(shade=r % 2 == 1))


class Stripe(Widget):
    """The background of one table row (slides.kv)."""
    shade = BooleanProperty(False)


class StatsSlide(SlideView):
    figures = ListProperty([])  # [(label, value text, note)]


def _body_markup(body) -> str:
    lines = []
    for style, markup in markdown.markdown_blocks(present.text(body, MAX_BODY)):
        lines.append(f"[b]{markup}[/b]" if style.startswith("h") else markup)
    return "\n".join(lines)


def _pct(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "—"
    return f"{value:.1f}%"


def _count(value) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "—"


def _fill(widget: SlideView, slide, item: dict | None, context) -> None:
    widget.slide = slide
    widget.title = present.text(slide.title or (item or {}).get("title") or "公开信息", 120)
    if item:
        category = present.category_name(context.manifest, item.get("category"))
        date = present.fmt_date(item.get("published_at"))
        widget.meta = " · ".join(p for p in (category, date) if p)
        widget.qr_url = present.text(item.get("feedback_url"), 500) or context.feedback_url
    else:
        widget.qr_url = context.feedback_url
    if slide.parts > 1 and not widget.page_text:
        widget.page_text = f"第 {slide.part + 1} / {slide.parts} 页"


def _image(slide, item, context, box) -> SlideView:
    widget = ImageSlide(ready=False, framed=slide.kind == "document")
    path = context.media_file(slide, item)
    if path is None:
        widget.missing, widget.ready = True, True
        return widget

    def done(texture):
        widget.texture, widget.missing, widget.ready = texture, texture is None, True
    load_texture_async(path, box, done)
    return widget


def _table(slide, item) -> SlideView:
    widget = TableSlide()
    table = present.table_of(item or {})
    if table is None or slide.rows is None:
        return NoticeSlide(body=PLACEHOLDER)
    columns, rows = table
    start, end = slide.rows
    widget.columns = columns
    widget.rows = rows[start:end]
    widget.page_text = f"第 {start + 1}–{min(end, len(rows))} 行 / 共 {len(rows)} 行"
    return widget


def _stats(slide) -> SlideView:
    stats = slide.extra or {}
    return StatsSlide(figures=[("本月受理", _count(stats.get("received")), "意见反馈与依申请公开（件）"),
                               ("已办结", _count(stats.get("answered")), "已答复申请人（件）"),
                               ("按时办结率", _pct(stats.get("on_time_pct")), "在法定期限内答复"),
                               ("满意率", _pct(stats.get("satisfaction_pct")), "办结后的评价")])


def build_slide(slide, item: dict | None, context, box: tuple[int, int]) -> SlideView:
    """The widget for `slide`; `context` gives manifest, feedback_url and media_file(slide, item)."""
    try:
        if slide.kind in ("image", "document"):
            widget = _image(slide, item, context, box)
        elif slide.kind == "table":
            widget = _table(slide, item)
        elif slide.kind == "stats":
            widget = _stats(slide)
        else:
            widget = NoticeSlide(body=_body_markup((item or {}).get("body")) if item else PLACEHOLDER)
        _fill(widget, slide, item, context)
        if slide.kind == "stats":
            month = present.text((slide.extra or {}).get("month"), 10)
            widget.meta = f"{month} 依申请公开与投诉办理" if month else widget.meta
        return widget
    except Exception:  # a slide must never stop the player
        import logging
        logging.getLogger(__name__).exception("slide %s", slide)
        widget = NoticeSlide(body=PLACEHOLDER, qr_url=context.feedback_url or "")
        widget.title = present.text(getattr(slide, "title", ""), 120) or "公开信息"
        return widget
