"""Pinyin search keys (拼音首字母) for the kiosk: 血常规 → xcg, CT检查 → ctjc.

One shared definition, so keys computed on the server (once per approved revision) and keys the
kiosk computes for itself always agree. Chinese characters become their pinyin initial, ASCII
letters and digits are kept lower-cased, everything else (spaces, punctuation) is dropped.
"""
from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

__all__ = ["initials", "row_keys", "search_keys", "slug"]


@lru_cache(maxsize=65536)
def _char_initial(ch: str) -> str:
    got = lazy_pinyin(ch, style=Style.FIRST_LETTER, errors="ignore")
    return got[0][:1].lower() if got else ""


def initials(value: str) -> str:
    """Pinyin initials of Chinese characters; ASCII letters and digits kept (lower-cased)."""
    out = []
    for ch in value or "":
        if ch.isascii():
            if ch.isalnum():
                out.append(ch.lower())
        elif "\u3400" <= ch <= "\u9fff":
            out.append(_char_initial(ch))
    return "".join(out)


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
