"""Chinese line breaking for both screen apps (pure: no Kivy; screen/wraplabel.py measures).

Kivy breaks lines only at ASCII spaces, so a run of digits or Latin together with the Chinese that
follows it is one "word" to it: "0571-12345678。本院将持续…" was pushed to the next line as a block,
and "10:30" stood alone on a line. Here lines may break between any two CJK characters and around
(never inside) runs of digits and Latin letters — "0571-12345678", "10:30", "2026-11-21", "97.4%" —
and the usual 避头尾 rules hold: no line starts with a closing mark (，。、；：？！）》」 …) and
none ends with an opening one (（《「 …). The result is the text with "\\n" where the lines end,
each line no wider than asked, so Kivy lays it out without breaking again.

With `markup=True` Kivy markup tags ([b], [/b], [color=…]) take no width and stay with the text
they belong to; escapes (&bl; &br; &amp;) count as the one character they show. `measure(text,
style)` gives the width of visible text in a style (the set of open tags, e.g. {"b"}).
"""
from __future__ import annotations

from collections.abc import Callable

__all__ = ["CLOSING", "OPENING", "break_lines", "is_cjk", "units"]

CLOSING = set("，。、；：？！）》」』】〕〉〗｝〙〛”’…‥·・ー—～々〻%‰℃°′″,.;:?!)]}"
              "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ")  # never at the start of a line
OPENING = set("（《「『【〔〈〖｛〘〚“‘([{￥¥$£€#")                     # never at the end of a line
JOINERS = set("-–:./_@&+'’,#%~")  # inside a run of digits/Latin (0571-1234, 10:30, 1,234.5, a@b.cn)
ESCAPES = {"&bl;": "[", "&br;": "]", "&amp;": "&"}
ELLIPSIS = "…"

Measure = Callable[[str, frozenset], float]


def is_cjk(ch: str) -> bool:
    """Han, kana, hangul, CJK punctuation and full-width forms: each may stand on its own."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF
            or 0xFE30 <= o <= 0xFE4F or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF)


def _is_word(ch: str) -> bool:
    return (ch.isalnum() or ch == "_") and not is_cjk(ch)


class _Piece:
    """One visible character or one zero-width markup tag, with the style it is drawn in."""
    __slots__ = ("raw", "visible", "style")

    def __init__(self, raw: str, visible: str, style: frozenset):
        self.raw, self.visible, self.style = raw, visible, style


def _pieces(text: str, markup: bool) -> list:
    """Characters and tags in order; "\\n" stays a piece of its own (a hard break)."""
    out, style, i = [], frozenset(), 0
    while i < len(text):
        ch = text[i]
        if markup and ch == "[":
            end = text.find("]", i)
            if end != -1:
                tag = text[i:end + 1]
                name = tag[1:-1].split("=", 1)[0]
                style = style - {name[1:]} if name.startswith("/") else style | {name}
                out.append(_Piece(tag, "", style))
                i = end + 1
                continue
        if markup and ch == "&":
            escape = next((e for e in ESCAPES if text.startswith(e, i)), None)
            if escape:
                out.append(_Piece(escape, ESCAPES[escape], style))
                i += len(escape)
                continue
        out.append(_Piece(ch, ch, style))
        i += 1
    return out


class _Unit:
    """Pieces that must stay on one line; `space` units are where a line may end, and vanish there."""
    __slots__ = ("pieces", "space", "hard")

    def __init__(self, pieces, space=False, hard=False):
        self.pieces, self.space, self.hard = pieces, space, hard

    @property
    def raw(self) -> str:
        return "".join(p.raw for p in self.pieces)

    def width(self, measure: Measure) -> float:
        return sum(measure(p.visible, p.style) for p in self.pieces if p.visible)


def _opening_tag(piece) -> bool:
    return not piece.visible and not piece.raw.startswith("[/")


def units(text: str, markup: bool = False) -> list:
    """The text cut into units with a break opportunity between each two (see the module doc)."""
    pieces = _pieces(text, markup)
    out: list = []
    pending: list = []  # opening marks and tags waiting for the unit they belong to
    i = 0
    while i < len(pieces):
        p = pieces[i]
        ch = p.visible
        if p.raw == "\n":
            out.append(_Unit(pending + [p], hard=True))
            pending, i = [], i + 1
        elif not ch:  # a markup tag: opening ones go with what follows, closing ones with what precedes
            if _opening_tag(p) or not out or out[-1].space or out[-1].hard:
                pending.append(p)
            else:
                out[-1].pieces.append(p)
            i += 1
        elif ch == " " and not pending:
            out.append(_Unit([p], space=True))
            i += 1
        elif ch in CLOSING and not pending and out and not out[-1].space and not out[-1].hard:
            out[-1].pieces.append(p)  # 避头: stays with what precedes it
            i += 1
        elif ch in OPENING:
            pending.append(p)         # 避尾: goes with what follows it
            i += 1
        elif _is_word(ch):
            j = i + 1
            while j < len(pieces):
                q = pieces[j]
                if q.visible and _is_word(q.visible) or not q.visible and q.raw != "\n" and _inside_run(pieces, j):
                    j += 1
                elif q.visible in JOINERS and _word_follows(pieces, j):
                    j += 1
                else:
                    break
            out.append(_Unit(pending + pieces[i:j]))
            pending, i = [], j
        else:  # a CJK character, a symbol, a space after an opening mark
            out.append(_Unit(pending + [p]))
            pending, i = [], i + 1
    if pending:
        out.append(_Unit(pending))
    return out


def _word_follows(pieces, j) -> bool:
    """Joiners at j… are followed (after more joiners or tags) by a word character."""
    k = j
    while k < len(pieces) and (pieces[k].visible in JOINERS or not pieces[k].visible and pieces[k].raw != "\n"):
        k += 1
    return k < len(pieces) and _is_word(pieces[k].visible)


def _inside_run(pieces, j) -> bool:
    """A tag in the middle of a run (1[b]2[/b]3) keeps the run whole."""
    return _word_follows(pieces, j)


def break_lines(text: str, width: float, measure: Measure, markup: bool = False,
                max_lines: int = 0) -> str:
    """`text` with "\\n" at the line ends: every line at most `width` wide by `measure`, broken
    only where the rules allow (a single unit wider than a line is cut where it must be). With
    `max_lines`, lines beyond it are dropped and the last kept one ends in "…"."""
    if width <= 0 or not text:
        return text
    lines: list[list] = [[]]
    used = 0.0
    for unit in units(text, markup):
        if unit.hard:
            lines[-1].append(unit)
            lines.append([])
            used = 0.0
            continue
        w = unit.width(measure)
        if used + w <= width or (unit.space and not lines[-1]):
            if not (unit.space and not lines[-1] and _soft_start(lines)):
                lines[-1].append(unit)
                used += w
            continue
        if unit.space:  # the line ends here; the space goes
            lines.append([])
            used = 0.0
            continue
        if lines[-1] and used > 0:
            _trim_trailing_space(lines[-1])
            lines.append([])
            used = 0.0
        if w <= width:
            lines[-1].append(unit)
            used = w
            continue
        for part in _split(unit, width, measure):  # wider than a whole line: cut it
            pw = part.width(measure)
            if used + pw > width and lines[-1]:
                lines.append([])
                used = 0.0
            lines[-1].append(part)
            used += pw
    if max_lines and len(lines) > max_lines and any(u.pieces for u in lines[max_lines]):
        lines = lines[:max_lines]
        _ellipsize(lines[-1], width, measure)
    out = []
    for n, line in enumerate(lines):
        out.append("".join(u.raw for u in line))  # a hard break's unit ends with its "\n"
        if n < len(lines) - 1 and not (line and line[-1].hard):
            out.append("\n")
    return "".join(out)


def _soft_start(lines) -> bool:
    """A line that began at a soft break (not the text's start, not after a hard "\\n")."""
    return len(lines) > 1 and bool(lines[-2]) and not lines[-2][-1].hard


def _trim_trailing_space(line) -> None:
    while line and line[-1].space:
        line.pop()


def _split(unit, width: float, measure: Measure) -> list:
    """An overlong unit cut into parts no wider than `width` (at least one character each)."""
    parts, current, used = [], [], 0.0
    for p in unit.pieces:
        w = measure(p.visible, p.style) if p.visible else 0.0
        if current and used + w > width and p.visible:
            parts.append(_Unit(current))
            current, used = [], 0.0
        current.append(p)
        used += w
    if current:
        parts.append(_Unit(current))
    return parts


def _ellipsize(line, width: float, measure: Measure) -> None:
    style = next((p.style for u in reversed(line) for p in reversed(u.pieces) if p.visible), frozenset())
    dots = _Unit([_Piece(ELLIPSIS, ELLIPSIS, style)])
    _trim_trailing_space(line)
    while line and sum(u.width(measure) for u in line) + dots.width(measure) > width:
        line.pop()
        _trim_trailing_space(line)
    line.append(dots)
