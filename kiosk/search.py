"""Search over titles, bodies and table rows by Chinese text or pinyin initials (xcg → 血常规).

The index is built once per manifest: each searchable text is kept lower-cased together with its
pinyin initials ("CT检查" → "ctjc"), all in one big string per kind, so a keystroke is a few
`str.find` scans — well under 20 ms for 20 000 table rows. No Kivy here.
"""
from __future__ import annotations

import threading

from content.searchkeys import initials
from screen.present import table_of, text

__all__ = ["Hit", "SearchIndex", "initials"]

MAX_RESULTS = 50
BODY_CHARS = 2000  # of each body, searched as text (not as initials)


class Hit:
    """A result: the item, and for a table row its index and cells."""

    __slots__ = ("item", "row", "cells", "score")

    def __init__(self, item: dict, row: int | None = None, cells: list[str] | None = None, score=0):
        self.item, self.row, self.cells, self.score = item, row, cells, score

    def __repr__(self) -> str:
        return f"Hit({self.item.get('id')!r}, row={self.row})"


class _Lines:
    """Many texts joined by newlines; find(query) → indexes of texts containing it."""

    def __init__(self, texts: list[str]):
        self.blob = "\n".join(t.replace("\n", " ") for t in texts) + "\n"
        self.starts = []
        pos = 0
        for t in texts:
            self.starts.append(pos)
            pos += len(t) + 1

    def find(self, query: str, limit: int) -> list[int]:
        import bisect
        found, pos, blob = [], 0, self.blob
        while len(found) < limit:
            pos = blob.find(query, pos)
            if pos < 0:
                break
            n = bisect.bisect_right(self.starts, pos) - 1
            found.append(n)
            pos = self.starts[n + 1] if n + 1 < len(self.starts) else len(blob)
        return found


class SearchIndex:
    """Built from the visible items; search(query) returns up to MAX_RESULTS hits, titles first."""

    def __init__(self, items: list[dict]):
        self.items = items
        titles = [text(i.get("title")) for i in items]
        self._titles = _Lines([t.lower() for t in titles])
        self._title_initials = _Lines([initials(t) for t in titles])
        self._bodies = _Lines([text(i.get("body"))[:BODY_CHARS].lower() for i in items])
        self._rows: list[tuple[dict, int, list[str]]] = []
        self._rows_lock, self._rows_ready = threading.Lock(), False

    def prepare_rows(self) -> None:
        """Index the table rows (20 000 rows: tenths of a second). The kiosk calls this from a
        thread once its first frame is up, so a long table does not delay the start; a search
        before that waits for it."""
        with self._rows_lock:
            if self._rows_ready:
                return
            rows = []
            for item in self.items:
                table = table_of(item)
                if table:
                    rows.extend((item, n, cells) for n, cells in enumerate(table[1]))
            self._row_text = _Lines([" ".join(cells).lower() for _, _, cells in rows])
            self._row_initials = _Lines([initials(" ".join(cells)) for _, _, cells in rows])
            self._rows, self._rows_ready = rows, True

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Hit]:
        q = text(query).strip().lower()
        if not q:
            return []
        self.prepare_rows()
        hits, seen_items, seen_rows = [], set(), set()
        is_initials = q.isascii() and q.isalnum()
        title_sets = [self._titles] + ([self._title_initials] if is_initials else [])
        for lines in title_sets + [self._bodies]:
            for n in lines.find(q, limit):
                if n not in seen_items:
                    seen_items.add(n)
                    hits.append(Hit(self.items[n]))
        for lines in [self._row_text] + ([self._row_initials] if is_initials else []):
            for n in lines.find(q, limit):
                if n not in seen_rows:
                    seen_rows.add(n)
                    item, row, cells = self._rows[n]
                    hits.append(Hit(item, row, cells))
        return hits[:limit]
