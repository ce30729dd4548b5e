"""Item bodies (Markdown) as blocks of Kivy markup, read exactly as the server reads them — no Kivy
here, so it is fast to test. Everything is escaped; long bodies are cut with a notice."""
from __future__ import annotations

from content.markdown import MAX_REFERENCE_SCAN as _MAX_REFERENCE_SCAN, PARSER, parser_for, reference_scan
from screen.present import CUT_NOTICE, MAX_BLOCK, MAX_BODY, MAX_CELL, MAX_COLUMNS, escape, text

__all__ = ["inline", "markdown_blocks"]


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
