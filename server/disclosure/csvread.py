"""Reading a table from a real export (a HIS report, Excel 另存为 CSV or "Unicode 文本"): the
encoding and the delimiter are decided on the whole file, quoting is always RFC 4180 as Excel writes
it (doubled quotes, quoted commas and newlines), a title line above the header is skipped with a
note, empty trailing columns and empty rows are dropped. Implausible decodings and NUL bytes are
refused with the byte offset where the trouble starts. Bytes in, table out: no files, no database."""
from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from server.i18n import msg
from server.validation import ServiceError

MAX_CELL = 2000
MAX_COLUMNS = 50
MAX_TITLE_ROWS = 5
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "逗号", "\t": "制表符", ";": "分号", "|": "竖线"}
RARE_SHARE = 0.2     # a GBK reading whose letters are this rare is mojibake, not Chinese


@dataclass
class TableRead:
    """The table, and how it was read: encoding, delimiter and notes (msg tuples) for the reader."""

    columns: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str
    notes: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def table(self) -> dict:
        return {"columns": self.columns, "rows": self.rows}


def table_error(detail: tuple[str, dict]) -> ServiceError:
    return ServiceError(422, "invalid", {"table": ("bad_csv", {"detail": detail})})


def _at(data: bytes, offset: int) -> dict:
    """Where a refusal points: the byte's place counted from 1, its offset from 0, its value."""
    return {"n": offset + 1, "offset": offset, "byte": f"{data[offset]:02X}"}


def _rare(ch: str) -> bool:
    """A letter a Chinese export would hardly contain: outside GB2312 (the 6 763 common hanzi),
    or private-use/unassigned. Punctuation and symbols never count."""
    category = unicodedata.category(ch)
    if category in ("Co", "Cn"):
        return True
    if not category.startswith("L"):
        return False
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return True
    return False


def decode(data: bytes) -> tuple[str, str, int]:
    """(text, encoding name, BOM length). UTF-16 needs its BOM; then UTF-8 (BOM or not); then
    GB18030 (a superset of GBK) if what it reads looks like Chinese; else refused with the offset
    of the first byte that is not UTF-8."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
        try:
            return data[2:].decode(codec), "UTF-16", 2
        except UnicodeDecodeError as exc:
            raise table_error(msg("csv.bad_byte", encoding="UTF-16", **_at(data, exc.start + 2))) from None
    if data[:3] == b"\xef\xbb\xbf":
        try:
            return data[3:].decode("utf-8"), "UTF-8", 3
        except UnicodeDecodeError as exc:
            raise table_error(msg("csv.bad_byte", encoding="UTF-8", **_at(data, exc.start + 3))) from None
    try:
        return data.decode("utf-8"), "UTF-8", 0
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise table_error(msg("csv.encoding_at", **_at(data, first_bad))) from None
    wide = [ch for ch in text if ord(ch) > 127]
    rare = sum(1 for ch in wide if _rare(ch))
    if wide and rare / len(wide) > RARE_SHARE:
        raise table_error(msg("csv.implausible", share=round(100 * rare / len(wide)), **_at(data, first_bad)))
    return text, "GBK/GB18030", 0


def byte_offset(text: str, index: int, encoding: str, bom: int) -> int:
    """Where character `index` of the decoded text starts in the file."""
    codec = {"UTF-16": "utf-16-le", "UTF-8": "utf-8"}.get(encoding, "gb18030")
    return bom + len(text[:index].encode(codec))


def _width(row: list[str]) -> int:
    """The row's width without its empty trailing cells."""
    n = len(row)
    while n and not row[n - 1].strip():
        n -= 1
    return n


def _parse(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(first line number, cells) for every non-empty row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    rows, line = [], 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error:  # an unclosed quote running past csv's field size limit
            raise table_error(msg("csv.format_at", row=line)) from None
        if any(c.strip() for c in row):
            rows.append((line, row))
        line = reader.line_num + 1


def _modal_width(rows: list[tuple[int, list[str]]]) -> tuple[int, int]:
    """(the most common trimmed width, how many rows have it); ties go to the wider."""
    counts = Counter(_width(r) for _, r in rows)
    if not counts:
        return 0, 0
    width, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return width, count


def _pick_delimiter(text: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """The delimiter under which most rows share one width above 1, read over the whole file."""
    best = None
    for rank, delim in enumerate(DELIMITERS):
        if delim != "," and delim not in text:
            continue
        rows = _parse(text, delim)
        width, count = _modal_width(rows)
        score = (width > 1, count, width, -rank)
        if best is None or score > best[0]:
            best = (score, delim, rows)
    return best[1], best[2]


def read_table(data: bytes, max_rows: int) -> TableRead:
    """The table in a CSV or tab-separated export; ServiceError 422 (Chinese/English detail) if
    it cannot be read, naming the line or byte."""
    if data[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in data:
        at = data.index(b"\x00")
        raise table_error(msg("csv.nul", n=at + 1, offset=at))
    text, encoding, bom = decode(data)
    nul = text.find("\x00")
    if nul >= 0:
        at = byte_offset(text, nul, encoding, bom)
        raise table_error(msg("csv.nul", n=at + 1, offset=at))
    delimiter, rows = _pick_delimiter(text)
    notes: list[tuple[str, dict]] = []
    width, _count = _modal_width(rows)
    skipped = []
    while rows and len(skipped) < MAX_TITLE_ROWS and width >= 2 and \
            sum(1 for c in rows[0][1] if c.strip()) <= max(1, width // 2) and len(rows) > 2:
        skipped.append(rows.pop(0))
    if skipped:
        shown = " / ".join(c.strip() for _, r in skipped for c in r if c.strip())
        notes.append(msg("csv.note_title", rows=len(skipped), text=shown[:80]))
    if len(rows) < 2:
        raise table_error(msg("csv.too_short"))
    header_line, header = rows[0]
    columns = [c.strip() for c in header[:_width(header)]]
    if not columns or len(columns) > MAX_COLUMNS:
        raise table_error(msg("csv.header", max=MAX_COLUMNS))
    if not all(columns):
        raise table_error(msg("csv.header_gap", row=header_line, column=columns.index("") + 1))
    if len(header) > len(columns):
        notes.append(msg("csv.note_trailing", n=len(header) - len(columns)))
    if len(rows) - 1 > max_rows:
        raise table_error(msg("csv.too_many_rows", max=max_rows))
    body = []
    for line, row in rows[1:]:
        cells = _width(row)
        if cells > len(columns) or len(row) < len(columns):
            found = cells if cells > len(columns) else len(row)
            raise table_error(msg("csv.ragged", row=line, cells=found, columns=len(columns)))
        if any(len(c) > MAX_CELL for c in row):
            raise table_error(msg("csv.long_cell", row=line, max=MAX_CELL))
        body.append([c.strip() for c in row[:len(columns)]])
    return TableRead(columns, body, encoding, delimiter, notes)
