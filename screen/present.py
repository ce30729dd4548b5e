"""What the screens show, computed from a manifest — no Kivy here, so it is fast to test. Item
bodies (Markdown) are read by screen/markdown.py.

Everything that comes from the feed is treated as hostile: Kivy markup is escaped, long bodies are
cut, ragged tables are squared, odd shapes give empty values instead of exceptions.
"""
from __future__ import annotations

import re
from datetime import datetime

from content.manifest import parse_time, visible_items
from content.timerules import working_days_left

__all__ = ["OFFLINE_MARK", "OFFLINE_MARK_SECONDS", "Tile", "badge_text", "category_items", "contact_mark", "escape",
           "feedback_url", "fmt_date", "home_tiles", "is_web_url", "latest", "plain_excerpt", "public_tiles",
           "table_of", "text", "visible"]

MAX_BODY = 20_000        # characters of body rendered; the rest is cut with a notice
MAX_BLOCK = 1_500        # characters per rendered block (one Label texture)
MAX_CELL = 200
MAX_COLUMNS = 12
MAX_TITLE = 120
PUBLIC = {"public", "patients"}
EXPAND_OVER = 4
CUT_NOTICE = "（内容较长，其余部分请扫码在手机上查看）"


def text(value, limit: int | None = None) -> str:
    """Any value as plain text (None → ""), cut to `limit` characters."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    s = s.replace("\x00", "")
    return s if limit is None or len(s) <= limit else s[:limit] + "…"


def escape(value, limit: int | None = None) -> str:
    """Plain text made safe for a Label with markup=True (`[b]` shows as typed)."""
    return text(value, limit).replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


OFFLINE_MARK_SECONDS = 600  # no contact with the server for this long: the header shows OFFLINE_MARK
OFFLINE_MARK = "○"          # small and unexplained on purpose: staff know it, patients are not alarmed


def contact_mark(seconds_since_contact: float, after: float = OFFLINE_MARK_SECONDS) -> str:
    """The header's discreet connection mark. Cached content plays normally offline, so patients
    see no "离线" at all; only after `after` seconds without the server a small mark appears, and
    屏幕管理 tells staff the rest (last contact, stream, content time)."""
    return OFFLINE_MARK if seconds_since_contact >= after else ""


def is_web_url(value) -> bool:
    """An http(s) URL of sane length without spaces (what a QR code may hold)."""
    return (isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= 500
            and not any(c.isspace() for c in value))


def feedback_url(device, server_url: str = "") -> str:
    """The screen's general feedback address: the manifest's device.feedback_base (built by the
    server from PUBLIC_BASE_URL, so phones can reach it), else /f/<screen_code> on `server_url`."""
    device = device if isinstance(device, dict) else {}
    if is_web_url(device.get("feedback_base")):
        return device["feedback_base"]
    code = text(device.get("screen_code"), 40)
    return f"{server_url.rstrip('/')}/f/{code}" if code else server_url


def visible(manifest: dict | None, now: datetime) -> list[dict]:
    """Items to show at `now` (server time), with only well-formed entries kept."""
    if not isinstance(manifest, dict):
        return []
    return [i for i in visible_items(manifest, now) if isinstance(i.get("id"), (int, str))]


class Tile:
    """A home-screen tile: a public category and how many items it (and its subcategories) holds."""

    def __init__(self, cat_id: str, name: str, count: int, description: str = ""):
        self.id, self.name, self.count, self.description = cat_id, name, count, description

    def __repr__(self) -> str:
        return f"Tile({self.id!r}, {self.name!r}, {self.count})"


def _catalog(manifest) -> list[dict]:
    cats = manifest.get("catalog") if isinstance(manifest, dict) else None
    return [c for c in cats if isinstance(c, dict) and isinstance(c.get("id"), str)] \
        if isinstance(cats, list) else []


def _subtree(cats: list[dict], root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for c in cats:
        children.setdefault(c.get("parent"), []).append(c["id"])
    out, todo = set(), [root]
    while todo:
        cid = todo.pop()
        if cid not in out:
            out.add(cid)
            todo.extend(children.get(cid, []))
    return out


def public_tiles(manifest: dict | None, items: list[dict]) -> list[Tile]:
    """Second-level categories open to patients or the public (资质信息, 医疗服务价格, ...).

    A tile's count includes its subcategories. A second-level group with more than EXPAND_OVER
    children (医疗服务信息) is shown as its non-empty children instead (医疗服务价格, 药品价格, 出诊信息...).
    A catalog without levels gives its roots as tiles.
    """
    cats = _catalog(manifest)
    ids = {c["id"] for c in cats}
    roots = [c for c in cats if c.get("parent") not in ids]
    root_ids = {c["id"] for c in roots}
    second = [c for c in cats if c.get("parent") in root_ids] or roots
    public = [c for c in second if PUBLIC & set(c.get("audiences") or [])] or second
    tiles = []
    for c in public:
        children = [k for k in cats if k.get("parent") == c["id"]]
        if len(children) > EXPAND_OVER:  # a group such as 医疗服务信息: its non-empty children
            tiles.extend(t for t in (_tile(cats, k, items) for k in children) if t.count)
        else:
            tiles.append(_tile(cats, c, items))
    return tiles


def home_tiles(manifest: dict | None, items: list[dict]) -> list[Tile]:
    """The home screen's tiles: public_tiles with something to show (no "0 项" tile leading to an
    empty list)."""
    return [t for t in public_tiles(manifest, items) if t.count > 0]


def latest(items: list[dict], n: int) -> list[dict]:
    """The `n` newest items (最新公开), newest published first."""
    return sorted(items, key=lambda i: text(i.get("published_at")), reverse=True)[:max(0, n)]


_MARKS = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[#>*_`|~]+|^\s*(?:[-+]|\d+[.)])\s+", re.M)


def plain_excerpt(body, limit: int) -> str:
    """A body's opening words as plain text on one line (Markdown marks dropped), cut to `limit`."""
    plain = _MARKS.sub(lambda m: m.group(1) or "", text(body, limit * 4))
    return text(" ".join(plain.split()), limit)


def _tile(cats: list[dict], cat: dict, items: list[dict]) -> Tile:
    tree = _subtree(cats, cat["id"])
    count = sum(1 for i in items if i.get("category") in tree)
    return Tile(cat["id"], text(cat.get("name"), 20) or cat["id"], count, text(cat.get("description"), 200))


def category_items(manifest: dict | None, items: list[dict], cat_id: str) -> list[dict]:
    """Items of a category and its subcategories, newest first."""
    tree = _subtree(_catalog(manifest), cat_id)
    chosen = [i for i in items if i.get("category") in tree]
    return sorted(chosen, key=lambda i: text(i.get("published_at")), reverse=True)


def category_name(manifest: dict | None, cat_id: str) -> str:
    for c in _catalog(manifest):
        if c["id"] == cat_id:
            return text(c.get("name"), 30)
    return ""


def is_publicity(manifest: dict | None, item: dict) -> bool:
    """公示 items: their category has an `immediate` (N working days) time rule and a window end."""
    for c in _catalog(manifest):
        if c["id"] == item.get("category"):
            rule = c.get("time_rule")
            return isinstance(rule, dict) and rule.get("kind") == "immediate" and bool(
                (item.get("window") or {}).get("end") if isinstance(item.get("window"), dict) else False)
    return False


def badge_text(manifest: dict | None, item: dict, now: datetime) -> str:
    """"公示中 · 还剩 N 个工作日" for 公示 items inside their window, else ""."""
    if not is_publicity(manifest, item):
        return ""
    try:
        end = parse_time(item["window"]["end"])
        left = working_days_left(end, now)
    except (ValueError, KeyError, TypeError):
        return ""
    return f"公示中 · 还剩 {left} 个工作日" if left > 0 else ""


def fmt_date(value) -> str:
    """ISO time → 2026-11-23; anything else → ""."""
    try:
        when = parse_time(value)
    except ValueError:
        return ""
    return when.strftime("%Y-%m-%d") if when else ""


def table_of(item: dict) -> tuple[list[str], list[list[str]]] | None:
    """(columns, rows) squared to the column count, or None when the item has no usable table."""
    table = item.get("table")
    if not isinstance(table, dict):
        return None
    columns = table.get("columns")
    rows = table.get("rows")
    if not isinstance(rows, list):
        return None
    if not isinstance(columns, list) or not columns:
        width = max((len(r) for r in rows if isinstance(r, list)), default=1)
        columns = [f"列{n + 1}" for n in range(width)]
    columns = [text(c, 40) for c in columns[:MAX_COLUMNS]]
    width = len(columns)
    out = []
    for row in rows:
        if isinstance(row, dict):
            row = [row.get(c) for c in columns]
        elif not isinstance(row, list):
            row = [row]
        cells = [text(c, MAX_CELL) for c in row[:width]]
        out.append(cells + [""] * (width - len(cells)))
    return columns, out
