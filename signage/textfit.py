"""Text that fits its box: the largest font size at which wrapped text is not taller than the box
(lines broken the Chinese way, screen/linebreak.py).

Signage text is read from metres away and nobody can scroll, so a notice's body is laid out at the
biggest size that fits; text too long even at the smallest readable size is cut with a hint to scan
the QR code. Measuring uses Kivy's core text layout without creating a texture.
"""
from __future__ import annotations

from kivy.core.text.markup import MarkupLabel
from kivy.properties import NumericProperty, StringProperty

from screen.linebreak import break_lines
from screen.wraplabel import SLACK, WrapLabel, measurer

__all__ = ["CUT_HINT", "FitLabel", "fit_font"]

CUT_HINT = "…（全文请扫码查看）"


def _height(text: str, size: float, width: float, font_name: str, line_height: float) -> float:
    """Height of `text` at `size` with the lines broken as FitLabel (a WrapLabel) will break them."""
    lines = break_lines(text, width - SLACK, measurer(font_name, size), markup=True)
    label = MarkupLabel(text=lines, font_size=size, text_size=(width, None), font_name=font_name,
                        line_height=line_height)
    return label.render()[1]


def _cut(text: str, size: float, width: float, height: float, font_name: str, line_height: float) -> str:
    """The longest prefix (plus CUT_HINT) that fits at `size`, cut at a character boundary."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        candidate = text[:mid].rstrip() + CUT_HINT
        if _height(candidate, size, width, font_name, line_height) <= height:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    if cut.count("[") != cut.count("]") or cut.rfind("[b]") > cut.rfind("[/b]"):
        cut = cut[:cut.rfind("[")] if "[" in cut else cut  # never leave half a markup tag
    return cut.rstrip() + CUT_HINT


def fit_font(text: str, width: float, height: float, lo: float, hi: float, font_name: str = "Roboto",
             line_height: float = 1.25) -> tuple[float, str]:
    """(font size, text): the largest whole size in [lo, hi] that fits, else `lo` with the text cut."""
    if not text or width <= 10 or height <= 10:
        return hi, text
    if _height(text, lo, width, font_name, line_height) > height:
        return lo, _cut(text, lo, width, height, font_name, line_height)
    lo, hi = int(lo), int(hi)  # whole pixel sizes: the font cache is reused between slides
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _height(text, mid, width, font_name, line_height) <= height:
            lo = mid
        else:
            hi = mid - 1
    return lo, text


class FitLabel(WrapLabel):
    """A WrapLabel whose font size follows its box: `source` text, shown as large as fits."""
    source = StringProperty("")
    min_font = NumericProperty(20)
    max_font = NumericProperty(60)

    def on_source(self, *_):
        self.refit()

    def on_size(self, *_):
        self.refit()

    def on_min_font(self, *_):
        self.refit()

    def on_max_font(self, *_):
        self.refit()

    def refit(self):
        size, text = fit_font(self.source, self.width, self.height, self.min_font, self.max_font,
                              self.font_name, self.line_height)
        self.text_size = (self.width, self.height)  # the whole box, so valign applies
        self.font_size, self.text = size, text
