"""Table diff for reviewers: rows added, removed and changed between the published table and a
draft, matched by a key column (e.g. 项目编码), so reordered rows are no change at all.

Pure: tables are {"columns": [...], "rows": [[...], ...]} as server/disclosure/uploads.py makes them. Ragged
rows are tolerated: short rows count as empty cells, cells beyond the header get the column names
`#n`. Rows sharing a key are matched in order of appearance.

`table_warnings` names what a reviewer should look at twice — many rows removed (a truncated
export looks like a normal one), keys or column names that repeat — as (code, params) pairs the
server words for the item page and the drop folder's reason files alike.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

__all__ = ["DEFAULT_KEYS", "MASS_REMOVAL_SHARE", "RowChange", "TableDiff", "diff_tables", "for_review",
           "pick_key", "table_warnings"]

DEFAULT_KEYS = ("项目编码", "编码", "药品编码", "收费编码", "医保编码", "代码", "工号")
MASS_REMOVAL_SHARE = 0.2   # removing more than this share of the old rows earns a warning


@dataclass(frozen=True)
class RowChange:
    """One row present in both tables under the same key, with the cells that differ."""

    key: str
    old: dict
    new: dict
    changed: tuple[str, ...]


@dataclass
class TableDiff:
    key_column: str | None
    columns: list[str]
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _columns(table: dict | None) -> list[str]:
    return [str(c) for c in (table or {}).get("columns") or []]


def _records(table: dict | None) -> tuple[list[str], list[dict]]:
    """Rows as column → cell; ragged rows padded with "" or extended with `#n` columns."""
    columns = _columns(table)
    rows = (table or {}).get("rows") or []
    width = max([len(columns)] + [len(r or ()) for r in rows])
    wide = columns + [f"#{i + 1}" for i in range(len(columns), width)]
    records = []
    for row in rows:
        cells = [c if type(c) is str else ("" if c is None else str(c)) for c in (row or ())]
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        records.append(dict(zip(wide, cells)))
    return wide, records


def pick_key(old: dict | None, new: dict | None, preferred=DEFAULT_KEYS) -> str | None:
    """The key column: the first preferred name both tables have, else the new table's first
    column if the old one has it too; None when they share no column (rows match whole)."""
    a, b = _columns(old), _columns(new)
    for name in list(preferred or ()) + b[:1]:
        if name in a and name in b:
            return name
    return None


def _groups(records: list[dict], key: str | None, shared: list[str]) -> dict[str, list[dict]]:
    """Rows by key, in order; without a key column the shared cells are the key, and without
    shared columns every row stands alone (so nothing matches)."""
    out: dict[str, list[dict]] = defaultdict(list)
    for n, rec in enumerate(records):
        if key:
            k = rec.get(key, "").strip()
        elif shared:
            k = "\x1f".join(rec.get(c, "") for c in shared)
        else:
            k = f"\x00{id(records)}:{n}"
        out[k].append(rec)
    return out


def diff_tables(old: dict | None, new: dict | None, key: str | None = None,
                preferred=DEFAULT_KEYS) -> TableDiff:
    """Rows added, removed and changed from `old` to `new`, matched by `key` (or pick_key).
    Rows sharing a key pair up identical ones first, then the rest in order."""
    key = key if key and key in _columns(old) and key in _columns(new) else pick_key(old, new, preferred)
    old_cols, old_recs = _records(old)
    new_cols, new_recs = _records(new)
    columns = new_cols + [c for c in old_cols if c not in new_cols]
    shared = [c for c in _columns(new) if c in _columns(old)]  # header names, not `#n`
    before, after = _groups(old_recs, key, shared), _groups(new_recs, key, shared)
    result = TableDiff(key_column=key, columns=columns)

    def cells(rec):
        return rec if old_cols == new_cols else tuple(rec.get(c, "") for c in columns)

    for k, news in after.items():
        olds = list(before.get(k, ()))
        if len(olds) == 1 and len(news) == 1:   # the usual case, unique keys: no search needed
            prior, rec = olds[0], news[0]
            if cells(prior) == cells(rec):
                result.unchanged += 1
            else:
                result.changed.append(RowChange(k, prior, rec, tuple(c for c in columns if prior.get(c, "") != rec.get(c, ""))))
            continue
        rest = []
        for rec in news:
            same = next((i for i, o in enumerate(olds) if cells(o) == cells(rec)), None)
            if same is None:
                rest.append(rec)
            else:
                olds.pop(same)
                result.unchanged += 1
        for prior, rec in zip(olds, rest):
            changed = tuple(c for c in columns if prior.get(c, "") != rec.get(c, ""))
            result.changed.append(RowChange(k, prior, rec, changed))
        result.added += rest[len(olds):]
        result.removed += olds[len(rest):]
    for k, olds in before.items():
        if k not in after:
            result.removed += olds
    return result


def table_warnings(old: dict | None, new: dict | None, preferred=DEFAULT_KEYS,
                   diff: TableDiff | None = None) -> list[tuple[str, dict]]:
    """(code, params) for: `duplicate_headers` (names), `duplicate_keys` (column, count, examples)
    and, against an old table, `mass_removal` (removed, total, percent) when more than
    MASS_REMOVAL_SHARE of its rows go. Pass `diff` when it is already computed."""
    out: list[tuple[str, dict]] = []
    columns = _columns(new)
    repeated = [name for name, n in Counter(columns).items() if n > 1]
    if repeated:
        out.append(("duplicate_headers", {"names": repeated}))
    old_rows = len((old or {}).get("rows") or [])
    if _columns(old):
        diff = diff or diff_tables(old, new, preferred=preferred)
        key = diff.key_column
    else:
        key = next((name for name in preferred or () if name in columns), None)
    if key in columns:
        at = columns.index(key)
        counts = Counter(str(row[at]).strip() for row in (new or {}).get("rows") or []
                         if len(row) > at and str(row[at] or "").strip())
        dup = [value for value, n in counts.items() if n > 1]
        if dup:
            out.append(("duplicate_keys", {"column": key, "count": len(dup), "examples": dup[:3]}))
    if diff is not None and old_rows and len(diff.removed) > MASS_REMOVAL_SHARE * old_rows:
        out.append(("mass_removal", {"removed": len(diff.removed), "total": old_rows,
                                     "percent": round(100 * len(diff.removed) / old_rows)}))
    return out


def for_review(old: dict | None, new: dict | None, preferred=DEFAULT_KEYS, limit: int = 20) -> dict | None:
    """What the reviewer's item page shows: counts, warnings and the first `limit` rows of each
    kind, cells as (column, old, new, changed?). None unless both tables exist."""
    if not _columns(old) or not _columns(new):
        return None
    d = diff_tables(old, new, preferred=preferred)
    cols = d.columns

    def plain(rec):
        return [rec.get(c, "") for c in cols]

    return {
        "key": d.key_column, "columns": cols, "limit": limit,
        "counts": {"added": len(d.added), "removed": len(d.removed), "changed": len(d.changed),
                   "unchanged": d.unchanged},
        "warnings": table_warnings(old, new, preferred, d),
        "added": [plain(r) for r in d.added[:limit]],
        "removed": [plain(r) for r in d.removed[:limit]],
        "changed": [{"key": ch.key, "cells": [(c, ch.old.get(c, ""), ch.new.get(c, ""), c in ch.changed)
                                              for c in cols]} for ch in d.changed[:limit]],
    }


def review_diff(live, rev, preferred=DEFAULT_KEYS, limit: int = 20) -> dict | None:
    """The diff for a revision's page: its table against the live (published) revision's, when
    `rev` is a newer revision than the live one and both have a table; else None."""
    if live is None or rev is None or rev.number <= live.number:
        return None
    data = for_review(live.table, rev.table, preferred, limit)
    return None if data is None else {**data, "live_number": live.number}
