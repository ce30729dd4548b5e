"""A revision as a print for the 公开栏: reportlab, the CJK font of the monthly report, A4 or A3 in
either orientation. Pure of the database: `prints.py` gathers a `Sheet` (words, file paths, the QR
address) and this module lays it out — header with the unit's logo and name, title, 公开时间 and the
公示 window, the body's Markdown, the table paged with its header row repeated, images scaled to the
frame; on every page the QR code with 扫码留言 and the board's name, the verification line
("第 3 版 · 2026-12-06 审定") and 第 x 页 / 共 N 页."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from content.markdown import parser_for
from server.oversight.pdffont import cjk_font

PAPER_SIZES = ("A4", "A3")                   # the paper vocabulary: every form, API and test reads these
ORIENTATIONS = ("portrait", "landscape")
CELL_PADDING = 14                            # points: a table cell's left and right padding with a margin
MAX_COLUMN_SHARE = 0.45                      # of the frame: a long cell wraps rather than starving the others
RED = "#a5141c"


@dataclass
class Sheet:
    """Everything a print shows, already in words (local times formatted by the caller)."""
    unit_name: str
    title: str
    body: str
    number: int
    verification: str                        # "第 3 版 · 2026-12-06 审定"
    published: str                           # 公开时间
    qr_url: str
    board_name: str = ""
    window: str = ""                         # 公示期, empty when the revision has no end
    logo_path: str | None = None
    table: dict | None = None                # {"columns": [...], "rows": [[...]]}
    images: list = field(default_factory=list)       # (path, width, height)
    other_files: list = field(default_factory=list)  # names of attachments that are not pictures


def page_size(paper: str, orientation: str) -> tuple[float, float]:
    """Points of the page: A4 portrait is 595.3 × 841.9."""
    from reportlab.lib.pagesizes import A3, A4, landscape, portrait
    size = {"A4": A4, "A3": A3}[paper]
    return landscape(size) if orientation == "landscape" else portrait(size)


def _styles(font: str, scale: float) -> dict:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    def style(name, size, **extra):
        extra.setdefault("leading", size * scale * 1.5)
        return ParagraphStyle(name, fontName=font, fontSize=size * scale, wordWrap="CJK", **extra)
    return {"title": style("title", 20, alignment=TA_CENTER, spaceAfter=4 * scale, textColor=RED),
            "meta": style("meta", 9.5, alignment=TA_CENTER, spaceAfter=8 * scale, textColor="#555c64"),
            "h1": style("h1", 15, spaceBefore=8 * scale, spaceAfter=4 * scale),
            "h2": style("h2", 13, spaceBefore=6 * scale, spaceAfter=3 * scale),
            "h3": style("h3", 11.5, spaceBefore=4 * scale, spaceAfter=2 * scale),
            "body": style("body", 11, spaceAfter=5 * scale, firstLineIndent=0),
            "code": style("code", 9.5, spaceAfter=5 * scale, backColor="#f3f4f6"),
            "cell": style("cell", 9, leading=12 * scale),
            "note": style("note", 9, textColor="#555c64")}


# --- Markdown → flowables ---------------------------------------------------------------------------

def _inline(token) -> str:
    """One inline token's children as reportlab paragraph markup (everything escaped)."""
    out = []
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            out.append(escape(child.content))
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("<br/>")
        elif kind in ("strong_open", "strong_close"):
            out.append("<b>" if kind.endswith("open") else "</b>")
        elif kind in ("em_open", "em_close"):
            out.append("<i>" if kind.endswith("open") else "</i>")
        elif kind == "image":
            out.append(escape(child.content or ""))
    return "".join(out)


def markdown_flowables(body: str, styles: dict, width: float) -> list:
    """Headings, paragraphs, bullet and numbered lists, quotes, code, rules and tables of the body."""
    from reportlab.platypus import Paragraph
    from reportlab.platypus.flowables import HRFlowable
    from reportlab.lib.styles import ParagraphStyle
    tokens = parser_for(body or "").parse(body or "")
    out, lists, bullet, indent, i = [], [], None, 0, 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind == "heading_open":
            level = min(int(tok.tag[1:]), 3)
            out.append(Paragraph(_inline(tokens[i + 1]), styles[f"h{level}"]))
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append({"ordered": kind.startswith("ordered"), "n": int(tok.attrs.get("start", 1) or 1) - 1})
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            lists[-1]["n"] += 1
            bullet = f"{lists[-1]['n']}." if lists[-1]["ordered"] else "•"
        elif kind == "blockquote_open":
            indent += 1
        elif kind == "blockquote_close":
            indent -= 1
        elif kind == "paragraph_open":
            left = (len(lists) + indent) * 14 * styles["body"].fontSize / 11
            style = ParagraphStyle(f"p{len(out)}", parent=styles["body"], leftIndent=left,
                                   bulletIndent=max(0, left - 12 * styles["body"].fontSize / 11))
            out.append(Paragraph(_inline(tokens[i + 1]), style, bulletText=bullet))
            bullet = None
            i += 3
            continue
        elif kind in ("fence", "code_block"):
            out.append(Paragraph(escape(tok.content.rstrip("\n")).replace("\n", "<br/>"), styles["code"]))
        elif kind == "hr":
            out.append(HRFlowable(width="100%", color="#9aa4ae", spaceBefore=4, spaceAfter=6))
        elif kind == "table_open":
            rows, i = _markdown_table(tokens, i)
            if rows:
                out.append(grid_table(rows[0], rows[1:], styles, width))
            continue
        i += 1
    return out


def _markdown_table(tokens, i: int) -> tuple[list[list[str]], int]:
    """The rows of a Markdown table starting at tokens[i] (header first) and the index after it."""
    rows, row = [], None
    while tokens[i].type != "table_close":
        kind = tokens[i].type
        if kind == "tr_open":
            row = []
        elif kind == "tr_close":
            rows.append(row)
        elif kind == "inline":
            row.append(_inline(tokens[i]))
        i += 1
    return rows, i + 1


# --- the table ------------------------------------------------------------------------------------

def column_widths(columns: list, rows: list, width: float, font: str, size: float) -> list[float]:
    """Widths in points that add up to `width`: each column as wide as its longest cell (measured in
    the font, at most MAX_COLUMN_SHARE of the page), short columns never squeezed below that while
    the long ones share what is left."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    pad = CELL_PADDING
    natural = []
    for n, head in enumerate(columns):
        cells = [str(head)] + [str(r[n]) for r in rows[:400] if n < len(r)]
        natural.append(min(width * MAX_COLUMN_SHARE, max(stringWidth(c, font, size) for c in cells) + pad))
    total = sum(natural)
    if total <= width:   # room to spare: every column a little wider
        return [w * width / total for w in natural]
    fair = width / len(columns)
    short = [w for w in natural if w <= fair]
    rest = width - sum(short)
    long_total = sum(w for w in natural if w > fair)
    return [w if w <= fair else w * rest / long_total for w in natural]


def grid_table(columns: list, rows: list, styles: dict, width: float, markup: bool = True):
    """A grid whose header row repeats on every page it runs onto; a cell that fits its column on one
    line stays plain text (cheap: a price list has thousands), a longer one wraps as a paragraph."""
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle
    cell = styles["cell"]
    widths = column_widths([str(c) for c in columns], rows, width, cell.fontName, cell.fontSize)
    room = [w - CELL_PADDING for w in widths]

    def fit(n: int, value):
        text = str(value)
        if markup or "\n" in text or stringWidth(text, cell.fontName, cell.fontSize) > room[n]:
            return Paragraph(text if markup else escape(text), cell)
        return text
    data = [[fit(n, c) for n, c in enumerate(columns)]]
    data += [[fit(n, c) for n, c in enumerate((list(r) + [""] * len(columns))[:len(columns)])] for r in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize, cell.leading),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa4ae")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


# --- the page around the content ------------------------------------------------------------------

def _qr_image(url: str):
    import qrcode
    from reportlab.lib.utils import ImageReader
    qr = qrcode.QRCode(border=4, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    return ImageReader(qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB"))


class _Frame:
    """Where the header, the QR block and the footer go on a page of this size."""

    def __init__(self, size: tuple[float, float], scale: float):
        from reportlab.lib.units import mm
        self.width, self.height = size
        self.margin = 14 * mm * scale
        self.header = 18 * mm * scale
        self.qr = 26 * mm * scale
        self.footer = self.qr + 6 * mm * scale
        self.mm, self.scale = mm, scale


def _decorate(canvas, sheet: Sheet, frame: _Frame, font: str, logo, qr, page: int, pages: int) -> None:
    """Header (logo, unit name, red rule) and footer (verification line, pages, QR block) of one page."""
    m, s, mm = frame.margin, frame.scale, frame.mm
    top = frame.height - m
    x = m
    if logo is not None:
        lw, lh = logo.getSize()
        h = frame.header - 5 * mm * s
        w = h * lw / lh
        canvas.drawImage(logo, x, top - h, width=w, height=h, mask="auto")
        x += w + 3 * mm * s
    canvas.setFillColor(RED)
    canvas.setFont(font, 15 * s)
    canvas.drawString(x, top - frame.header / 2 - 3 * s, sheet.unit_name)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(1.2 * s)
    canvas.line(m, top - frame.header + 1 * mm * s, frame.width - m, top - frame.header + 1 * mm * s)
    # footer: the rule, the QR block at the right, words at the left
    base = m
    canvas.setStrokeColor("#9aa4ae")
    canvas.setLineWidth(0.5)
    canvas.line(m, base + frame.footer - 2 * mm * s, frame.width - m, base + frame.footer - 2 * mm * s)
    canvas.drawImage(qr, frame.width - m - frame.qr, base, width=frame.qr, height=frame.qr)
    right = frame.width - m - frame.qr - 2 * mm * s
    canvas.setFillColor(RED)
    canvas.setFont(font, 13 * s)
    canvas.drawRightString(right, base + frame.qr - 8 * s, "扫码留言")
    canvas.setFillColor("#1f2328")
    canvas.setFont(font, 9 * s)
    if sheet.board_name:
        canvas.drawRightString(right, base + frame.qr - 22 * s, sheet.board_name)
    canvas.drawRightString(right, base + frame.qr - 34 * s, "扫码核对是否为现行版本")
    canvas.setFont(font, 10 * s)
    canvas.drawString(m, base + 14 * s, sheet.verification)
    canvas.setFont(font, 8.5 * s)
    canvas.setFillColor("#555c64")
    canvas.drawString(m, base + 2 * s, f"第 {page} 页 / 共 {pages} 页")


def _canvas_maker(sheet: Sheet, frame: _Frame, font: str):
    """A canvas that holds its pages until the end, so every footer can say 共 N 页."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas
    logo = ImageReader(sheet.logo_path) if sheet.logo_path else None
    qr = _qr_image(sheet.qr_url)

    class PagedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _decorate(self, sheet, frame, font, logo, qr, number, len(self._pages))
                super().showPage()
            super().save()
    return PagedCanvas


def render(sheet: Sheet, paper: str, orientation: str) -> bytes:
    """The print as PDF bytes (Chinese glyphs embedded, text extractable)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer
    if paper not in PAPER_SIZES or orientation not in ORIENTATIONS:
        raise ValueError(f"paper {paper!r} {orientation!r}")
    font = cjk_font()
    pdfmetrics.registerFontFamily(font, normal=font, bold=font, italic=font, boldItalic=font)
    size = page_size(paper, orientation)
    scale = min(size) / A4[0]
    frame = _Frame(size, scale)
    styles = _styles(font, scale)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=size, leftMargin=frame.margin, rightMargin=frame.margin,
                            topMargin=frame.margin + frame.header, bottomMargin=frame.margin + frame.footer,
                            title=sheet.title, author=sheet.unit_name, subject=sheet.verification,
                            creator="Gongkai")
    width, height = doc.width, doc.height
    meta = f"公开时间：{sheet.published}" + (f"　公示期：{sheet.window}" if sheet.window else "") \
        + f"　第 {sheet.number} 版"
    story = [Paragraph(escape(sheet.title), styles["title"]), Paragraph(escape(meta), styles["meta"])]
    story += markdown_flowables(sheet.body, styles, width)
    if sheet.table and sheet.table.get("columns"):
        story += [Spacer(1, 4 * scale),
                  grid_table(sheet.table["columns"], sheet.table.get("rows") or [], styles, width, markup=False)]
    for path, w, h in sheet.images:
        factor = min(width / w, height * 0.6 / h, 1.0 * 72 / 96 * 2)   # never blown up past ~2 px per point
        story += [Spacer(1, 6 * scale), Image(path, width=w * factor, height=h * factor)]
    if sheet.other_files:
        story.append(Paragraph(escape("附件：" + "、".join(sheet.other_files) + "（扫码查看）"), styles["note"]))
    doc.build(story, canvasmaker=_canvas_maker(sheet, frame, font))
    return out.getvalue()
