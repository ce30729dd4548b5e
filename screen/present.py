"""What the kiosk shows, computed from a manifest — no Kivy here, so it is fast to test.

Everything that comes from the feed is treated as hostile: Kivy markup is escaped, long bodies are
cut, ragged tables are squared, odd shapes give empty values instead of exceptions.
"""
from __future__ import annotations

from datetime import datetime

from content.markdown import MAX_REFERENCE_SCAN as _MAX_REFERENCE_SCAN, PARSER, parser_for, reference_scan

from content.manifest import parse_time, visible_items
from content.timerules import working_days_left

__all__ = ["Tile", "badge_text", "category_items", "escape", "fmt_date", "inline", "markdown_blocks",
           "public_tiles", "table_of", "text", "visible"]

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


# The server's reading of an item body, with its guard against quadratic reference definitions
# (content/markdown.py): the screens read bodies exactly as the admin preview and the archive do.
_MD = PARSER
MAX_REFERENCE_SCAN = _MAX_REFERENCE_SCAN
MAX_BLOCKS = 400         # blocks rendered (one Label each); the rest is cut with the notice
BULLETS = ("•", "◦", "▪")
INDENT = "\u3000\u3000"     # per list level: two ideographic spaces, as wide as two characters
QUOTE = "│ "
CELL_SEPARATOR = "   │   "
RULE = "─" * 12
_SOFT = None              # a soft line break inside a paragraph, resolved once its neighbours are known


def _wide(ch: str) -> bool:
    """CJK and full-width characters: lines of them join with no space between."""
    return ord(ch) >= 0x2E80


class _Block:
    """One rendered block under construction: its style and its pieces (text, bold) or _SOFT."""

    def __init__(self, style: str, prefix: str = "", rest: str = ""):
        self.style, self.prefix, self.rest = style, prefix, rest
        self.pieces: list = []

    def add(self, s: str, bold: bool = False) -> None:
        if s:
            self.pieces.append((s, bold))

    def runs(self) -> list[tuple[str, bool]]:
        """Pieces with soft breaks resolved (nothing between CJK lines, a space otherwise) and
        neighbours of the same weight merged."""
        out: list[tuple[bool, list[str]]] = []
        pieces = self.pieces
        for n, piece in enumerate(pieces):
            if piece is _SOFT:
                before = out[-1][1][-1][-1:] if out else ""
                m = n + 1
                while m < len(pieces) and pieces[m] is _SOFT:
                    m += 1
                after = pieces[m][0][:1] if m < len(pieces) else ""
                if not before or not after or _wide(before) or _wide(after):
                    continue
                piece = (" ", out[-1][0])
            s, bold = piece
            if out and out[-1][0] == bold:
                out[-1][1].append(s)
            else:
                out.append((bold, [s]))
        return [("".join(parts), bold) for bold, parts in out]


def _markup(runs) -> str:
    return "".join(f"[b]{escape(s)}[/b]" if bold else escape(s) for s, bold in runs)


def _chunks(runs: list[tuple[str, bool]], size: int) -> list[list[tuple[str, bool]]]:
    """The runs cut into pieces of at most `size` characters of text each."""
    chunks, current, used = [], [], 0
    for s, bold in runs:
        while s:
            room = size - used
            current.append((s[:room], bold))
            used += len(s[:room])
            s = s[room:]
            if used >= size:
                chunks.append(current)
                current, used = [], 0
    if current:
        chunks.append(current)
    return chunks


def _inline(block: _Block, children, bold: int = 0) -> None:
    """The inline tokens of one paragraph, heading or cell into the block: text, **bold**, line
    breaks; links and images give their text only, emphasis and code are shown plain."""
    for tok in children or ():
        kind = tok.type
        if kind in ("text", "code_inline", "html_inline"):
            block.add(tok.content, bold > 0)
        elif kind == "softbreak":
            block.pieces.append(_SOFT)
        elif kind == "hardbreak":
            block.add("\n", bold > 0)
        elif kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold = max(0, bold - 1)
        elif kind == "image":
            _inline(block, tok.children, bold)


class _Reader:
    """Walks markdown-it block tokens into (style, Kivy markup) blocks."""

    def __init__(self):
        self.blocks: list[tuple[str, str]] = []
        self.lists: list[dict] = []   # open lists: {"ordered", "next", "marker"}
        self.quotes = 0
        self.full = False

    # -- output
    def _lead(self) -> tuple[str, str]:
        """Prefix of the next block in the current list item (its marker, once) and of its rest."""
        if not self.lists:
            quote = QUOTE * self.quotes
            return quote, quote
        depth = len(self.lists) - 1
        here = self.lists[-1]
        pad = INDENT * depth + QUOTE * self.quotes
        marker, here["marker"] = here["marker"], ""
        hang = pad + "\u3000 "  # about as wide as a marker and its spaces
        return (pad + marker + "  " if marker else hang), hang

    def emit(self, block: _Block) -> None:
        runs = block.runs()
        if not "".join(s for s, _ in runs).strip() or self.full:
            return
        if block.rest:  # lines after a hard break or in code keep the item's indent or the quote bar
            runs = [(s.replace("\n", "\n" + block.rest), bold) for s, bold in runs]
        size = max(1, MAX_BLOCK - len(block.prefix))
        for n, chunk in enumerate(_chunks(runs, size)):
            if len(self.blocks) >= MAX_BLOCKS:
                self.full = True
                return
            lead = escape(block.prefix if n == 0 else block.rest)
            self.blocks.append((block.style, lead + _markup(chunk)))

    def new_block(self, style: str) -> _Block:
        prefix, rest = self._lead()
        return _Block("li" if self.lists else style, prefix, rest)

    def flush_marker(self) -> None:
        """A list item whose first content is a nested list or nothing: its marker on its own."""
        if self.lists and self.lists[-1]["marker"]:
            prefix, _ = self._lead()
            self.blocks.append(("li", escape(prefix.rstrip())))

    # -- walk
    def read(self, tokens) -> None:
        n = 0
        while n < len(tokens) and not self.full:
            tok = tokens[n]
            kind = tok.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                self.flush_marker()
                start = tok.attrs.get("start", 1) if kind == "ordered_list_open" else 1
                self.lists.append({"ordered": kind == "ordered_list_open", "next": int(start), "marker": ""})
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                here = self.lists[-1]
                if here["ordered"]:
                    here["marker"], here["next"] = f"{here['next']}.", here["next"] + 1
                else:
                    here["marker"] = BULLETS[min(len(self.lists), len(BULLETS)) - 1]
            elif kind == "list_item_close":
                self.flush_marker()
            elif kind == "blockquote_open":
                self.quotes += 1
            elif kind == "blockquote_close":
                self.quotes -= 1
            elif kind in ("heading_open", "paragraph_open"):
                style = f"h{min(int(tok.tag[1]), 3)}" if kind == "heading_open" else "p"
                block = self.new_block(style)
                _inline(block, tokens[n + 1].children, 1 if kind == "heading_open" and self.lists else 0)
                self.emit(block)
                n += 2  # the inline token and the close
            elif kind in ("fence", "code_block", "html_block"):
                block = self.new_block("p")
                block.add(tok.content.rstrip("\n"))
                self.emit(block)
            elif kind == "hr":
                block = self.new_block("p")
                block.add(RULE)
                self.emit(block)
            elif kind == "tr_open":
                n = self._row(tokens, n)
            n += 1

    def _row(self, tokens, n: int) -> int:
        """One table row as a "tr" block: cells side by side, header cells bold."""
        block = self.new_block("tr")
        block.style = "tr"
        cells = 0
        n += 1
        while tokens[n].type != "tr_close":
            tok = tokens[n]
            if tok.type in ("th_open", "td_open"):
                cell = _Block("tr")
                _inline(cell, tokens[n + 1].children, 1 if tok.type == "th_open" else 0)
                runs = _chunks(cell.runs(), MAX_CELL)[:1]
                if cells < MAX_COLUMNS:
                    if cells:
                        block.add(CELL_SEPARATOR)
                    block.pieces.extend(runs[0] if runs else [])
                cells += 1
            n += 1
        self.emit(block)
        return n


def _source(s: str) -> tuple[str, bool]:
    """The body cut to MAX_BODY characters (at a line end when one is near), and whether it was."""
    if len(s) <= MAX_BODY:
        return s, False
    s = s[:MAX_BODY]
    end = s.rfind("\n", MAX_BODY - MAX_BLOCK)
    return (s[:end] if end > 0 else s), True


_reference_scan = reference_scan


def markdown_blocks(body) -> list[tuple[str, str]]:
    """The item body as (style, Kivy markup) blocks, style one of h1 h2 h3 p li tr.

    Read like the server reads it (CommonMark + tables, markdown-it-py): headings, paragraphs,
    **bold**, bullet and numbered lists (nested ones indented), block quotes, code as plain text,
    table rows with cells side by side (header bold), hard line breaks. Links and images give their
    text, raw HTML shows as typed; everything is escaped, so `[b]` typed by staff is no Kivy markup.
    Bodies over MAX_BODY characters, or of more than MAX_BLOCKS blocks, are cut with a notice;
    no block holds more than MAX_BLOCK characters of text.
    """
    s, cut = _source(text(body))
    parser = parser_for(s)
    reader = _Reader()
    reader.read(parser.parse(s))
    if cut or reader.full:
        reader.blocks.append(("p", escape(CUT_NOTICE)))
    return reader.blocks


def inline(value) -> str:
    """One line of Markdown (inline only: **bold**, code, links as text) as Kivy markup."""
    block = _Block("p")
    for tok in _MD.parseInline(text(value)):
        _inline(block, tok.children)
    return _markup(block.runs())
