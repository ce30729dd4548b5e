"""CSV for spreadsheets without formula injection: a text cell that starts with = + - @, a tab or a
carriage return is what Excel and WPS run as a formula (=HYPERLINK(…), @SUM(…)), so it is written
with a leading apostrophe and shows as the text that was typed. Every CSV export goes through here."""
from __future__ import annotations

import csv
import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The cell as a spreadsheet shows it as text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: list, rows) -> str:
    """The header and rows as CSV text with a BOM (so Excel reads the Chinese as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return "\ufeff" + out.getvalue()
