"""How an item body is read, everywhere: CommonMark plus tables by markdown-it-py, raw HTML not parsed
(it stays text) — the admin preview and the archive (server) and the screens (screen/present.py) use
this one parser, so what the reviewers saw is what the lobby shows.

markdown-it-py 3.0 reads a link reference definition ("[a]: url") by scanning to the end of its
block, so many of them in a long block take quadratic time (2 000 lines: seconds; a 100 KB body:
minutes of a server worker). `parser_for` reads a body whose definitions would cost more than
MAX_REFERENCE_SCAN line steps without definitions (they show as typed) instead.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt

PARSER = MarkdownIt("commonmark", {"html": False}).enable("table")
PARSER_NO_REFS = MarkdownIt("commonmark", {"html": False}).enable("table").disable("reference")
REF_LIKE = re.compile(r"\[[^\]\n]*\]:")
MAX_REFERENCE_SCAN = 20_000


def reference_scan(s: str) -> int:
    """An upper bound of the lines the parser's reference rule would scan: for every line that
    may hold a definition, the lines from it to the end of its block."""
    cost = run = 0
    for line in reversed(s.split("\n")):
        run = run + 1 if line.strip() else 0
        if run and REF_LIKE.search(line):
            cost += run
    return cost


def parser_for(s: str) -> MarkdownIt:
    """The parser to read `s` with: the full one, or without reference definitions when they
    would take quadratic time."""
    return PARSER_NO_REFS if reference_scan(s) > MAX_REFERENCE_SCAN else PARSER


def to_html(s: str | None) -> str:
    """The body as HTML (raw HTML in it escaped), in time linear in practice whatever it holds."""
    s = s or ""
    return parser_for(s).render(s)
