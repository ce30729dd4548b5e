"""Text that fits its box: the largest font size at which wrapped text is not taller than the box
(lines broken the Chinese way, screen/linebreak.py).

Signage text is read from metres away and nobody can scroll, so a notice's body is laid out at the
biggest size that fits; text too long even at the smallest readable size is cut with a hint to scan
the QR code. Measuring uses Kivy's core text layout without creating a texture.
"""
from __future__ import annotations

from kivy.clock import Clock
from kivy.core.text.markup import MarkupLabel
from kivy.properties import NumericProperty, StringProperty

from screen.linebreak import break_lines
from screen.wraplabel import SLACK, WrapLabel, measurer

__all__ = ["CUT_HINT", "FitLabel", "fit_font", "sizes"]

CUT_HINT = "…（全文请扫码查看）"
STEP = 1.25  # each size a fit may pick is 25 % larger than the one below


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


def sizes(lo: float, hi: float, step: float = STEP) -> list[int]:
    """The font sizes a fit may pick: from `lo` to `hi` growing by `step`. Each size is a font face
    Kivy keeps open (about 2.5 MB each for Noto Sans CJK), so a handful, not every whole pixel."""
    out, size = [], float(int(lo))
    while size < int(hi):
        out.append(int(size))
        size = max(size + 1, size * step)
    return sorted(set(out + [int(hi)]))


def fit_font(text: str, width: float, height: float, lo: float, hi: float, font_name: str = "Roboto",
             line_height: float = 1.25) -> tuple[float, str]:
    """(font size, text): the largest of sizes(lo, hi) that fits, else `lo` with the text cut."""
    if not text or width <= 10 or height <= 10:
        return int(hi), text
    ladder = sizes(lo, hi)
    if _height(text, ladder[0], width, font_name, line_height) > height:
        return ladder[0], _cut(text, ladder[0], width, height, font_name, line_height)
    a, b = 0, len(ladder) - 1
    while a < b:
        mid = (a + b + 1) // 2
        if _height(text, ladder[mid], width, font_name, line_height) <= height:
            a = mid
        else:
            b = mid - 1
    return ladder[a], text


class FitLabel(WrapLabel):
    """A WrapLabel whose font size follows its box: `source` text, shown as large as fits. The fit
    runs once per frame at most, after the KV rules set everything: fitting with Kivy's defaults
    (100×100, 20–60 px) would open font faces that are never shown, each kept in memory."""
    source = StringProperty("")
    min_font = NumericProperty(20)
    max_font = NumericProperty(60)

    def __init__(self, **kwargs):
        self._refit_soon = Clock.create_trigger(self.refit, -1)  # before this frame is drawn
        super().__init__(**kwargs)

    def on_source(self, *_):
        self._refit_soon()

    def on_size(self, *_):
        self._refit_soon()

    def on_min_font(self, *_):
        self._refit_soon()

    def on_max_font(self, *_):
        self._refit_soon()

    def refit(self, *_):
        size, text = fit_font(self.source, self.width, self.height, self.min_font, self.max_font,
                              self.font_name, self.line_height)
        self.text_size = (self.width, self.height)  # the whole box, so valign applies
        self.font_size, self.text = size, text
