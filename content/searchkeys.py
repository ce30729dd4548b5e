"""Pinyin search keys (拼音首字母) for the kiosk: 血常规 → xcg, CT检查 → ctjc.

One shared definition, so keys computed on the server (once per approved revision) and keys the
kiosk computes for itself always agree. Chinese characters become their pinyin initial, ASCII
letters and digits are kept lower-cased, everything else (spaces, punctuation) is dropped.
"""
from __future__ import annotations

import os

# Keys are made one character at a time, so pypinyin's phrase dictionary is never consulted; not
# loading it saves ~44 MB in every process that imports this (measured: 55 → 11 MB), the kiosk's
# included. Set before pypinyin is first imported.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

from pypinyin import Style, lazy_pinyin  # noqa: E402

__all__ = ["initials", "row_keys", "search_keys", "slug"]


def _char_initial(ch: str) -> str:
    got = lazy_pinyin(ch, style=Style.FIRST_LETTER, errors="ignore")
    return got[0][:1].lower() if got else ""


class _Initials(dict):
    """code point → its key character (None: dropped), filled as characters are first met, so
    `str.translate` does the work in C (the kiosk keys 20 000 table rows at start: 0.8 s → ~0.05 s)."""

    def __missing__(self, code: int):
        ch = chr(code)
        if ch.isascii():
            value = ch.lower() if ch.isalnum() else None
        elif "\u3400" <= ch <= "\u9fff":
            value = _char_initial(ch) or None
        else:
            value = None
        self[code] = value
        return value


_TABLE = _Initials()


def initials(value: str) -> str:
    """Pinyin initials of Chinese characters; ASCII letters and digits kept (lower-cased)."""
    return (value or "").translate(_TABLE)


def row_keys(table: dict | None) -> list[str]:
    """One key per table row: the initials of its cells joined (as the kiosk searches them)."""
    rows = (table or {}).get("rows") or []
    return [initials(" ".join(str(c) for c in row)) for row in rows]


def search_keys(title: str, table: dict | None = None) -> dict:
    """{"title": initials, "rows": [initials per row]} — what a feed item carries as `search`."""
    return {"title": initials(title or ""), "rows": row_keys(table)}


def slug(value: str, limit: int = 40) -> str:
    """An ASCII key from a Chinese name, for names people never need to type (e.g. 药品价格 →
    yao-pin-jia-ge): pinyin syllables and ASCII words joined by "-", cut at `limit` on a syllable."""
    words, ascii_run = [], ""
    for ch in value or "":
        if ch.isascii() and ch.isalnum():
            ascii_run += ch.lower()
            continue
        if ascii_run:
            words.append(ascii_run)
            ascii_run = ""
        if "\u3400" <= ch <= "\u9fff":
            words += [w for w in lazy_pinyin(ch, errors="ignore") if w.isascii() and w.isalpha()]
    if ascii_run:
        words.append(ascii_run)
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out}-{word}" if out else word
    return out if out[:1].isalpha() else f"c-{out}".rstrip("-")
