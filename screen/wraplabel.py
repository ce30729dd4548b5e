"""WrapLabel: a Kivy Label that breaks lines the Chinese way (screen/linebreak.py) — used for every
label of both apps whose text wraps. Kivy itself only breaks at spaces.

`text` stays what was set (tests and bindings read it); only the texture gets the broken lines.
Measuring uses Kivy's own text provider with the label's font, size and bold face (runs inside
[b]…[/b] with the bold face), per character or run, cached; a line keeps a pixel of slack so
Kivy's own whole-line measurement never finds it too wide and breaks it again.
"""
from __future__ import annotations

from functools import lru_cache

from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel as CoreMarkupLabel
from kivy.properties import NumericProperty
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.utils import get_hex_from_color

from screen.linebreak import break_lines

__all__ = ["WrapButton", "WrapLabel", "measurer", "wrap_for"]

SLACK = 2  # pixels left free on each line


@lru_cache(maxsize=64)
def _core(font_name: str, size_key: str, font_size, bold: bool, italic: bool) -> CoreLabel:
    return CoreLabel(font_name=font_name, font_size=font_size, bold=bold, italic=italic)


@lru_cache(maxsize=20000)
def _width(font_name: str, size_key: str, font_size, bold: bool, italic: bool, text: str) -> int:
    return _core(font_name, size_key, font_size, bold, italic).get_extents(text)[0]


def measurer(font_name: str, font_size, bold: bool = False, italic: bool = False):
    """measure(text, style) for linebreak.break_lines in this font (style: the open markup tags).
    The size is passed on exactly as the label has it: Kivy keys its open font faces by str(size),
    so 34 and 34.0 would be two faces in memory (~2.5 MB each for Noto Sans CJK)."""
    key = str(font_size)

    def measure(text: str, style: frozenset) -> int:
        return _width(font_name, key, font_size, bold or "b" in style, italic or "i" in style, text)
    return measure


def wrap_for(label, text: str, width: float) -> str:
    """`text` broken into lines for `label`'s font at `width` pixels (markup if the label has it)."""
    measure = measurer(label.font_name, label.font_size, label.bold, label.italic)
    return break_lines(text, width - SLACK, measure, markup=label.markup, max_lines=label.max_lines)


class WrapLabel(Label):
    """A Label whose lines break between CJK characters and around digit/Latin runs, with 避头尾.
    Wraps only when it has a width (text_size[0]); otherwise it is a plain Label."""
    wrap_width = NumericProperty(0)  # the width the texture was last broken for (tests read it)

    def _wrapped(self) -> str:
        width = self.text_size[0] if self.text_size else None
        if not width or not self.text:
            return self.text
        padding = self.padding if isinstance(self.padding, (list, tuple)) else [self.padding] * 4
        inner = width - (padding[0] + padding[2] if len(padding) == 4 else 2 * padding[0])
        self.wrap_width = inner
        return wrap_for(self, self.text, inner)

    def texture_update(self, *largs):
        """Label.texture_update (Kivy 2.3), with the broken text given to the core label."""
        markup = self._label.__class__ is CoreMarkupLabel
        self.texture = None
        text = self._wrapped()
        if not text or (self.halign == "justify" or self.strip) and not text.strip():
            self.texture_size = (0, 0)
            self.is_shortened = False
            if markup:
                self.refs, self._label._refs = {}, {}
                self.anchors, self._label._anchors = {}, {}
            return
        if markup:
            if self.halign == "justify" or self.strip:
                text = text.strip()
            color = get_hex_from_color(self.disabled_color if self.disabled else self.color)
            self._label.text = "".join(("[color=", color, "]", text, "[/color]"))
            self._label.refresh()
            if self._label.texture:
                self._label.texture.bind()
            self.refs = self._label.refs
            self.anchors = self._label.anchors
        else:
            self._label.text = text
            self._label.refresh()
        if self._label.texture is not None:
            self.texture = self._label.texture
            self.texture_size = list(self.texture.size)
        self.is_shortened = self._label.is_shortened


class WrapButton(Button):
    """A Button (Kivy's button look and behaviour) whose caption breaks lines like WrapLabel."""
    wrap_width = NumericProperty(0)
    _wrapped = WrapLabel._wrapped
    texture_update = WrapLabel.texture_update
