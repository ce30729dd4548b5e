"""The README's 公开栏 print (docs/screenshots/print-a4.png): page 1 of the demo's price list printed
on A4 for the lobby board, made by the real print code (server/boards/) and rendered by pdfium.
Called by tests/test_readme_screenshots.py with the demo it seeded."""
from __future__ import annotations

import os

import pypdfium2 as pdfium
from sqlalchemy import select

from server import db
from server.boards import prints
from server.boards.print_pdf import render
from server.demo.boards import CURRENT
from server.models import Item, Revision

DPI = 110


def write_print_shot(app, out: str) -> str:
    """Write print-a4.png into `out`; return its path."""
    with app.app_context():
        s = db.session()
        item = s.scalar(select(Item).join(Revision).where(Revision.title == CURRENT).limit(1))
        rev = prints.printable(item)
        board = prints.board_of(s, item.unit, "GKL1")
        pdf = render(prints.sheet_for(item, rev, board, app.config["PUBLIC_BASE_URL"], app.config["MEDIA_DIR"]),
                     "A4", "portrait")
    path = os.path.join(out, "print-a4.png")
    pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72).to_pil().convert("RGB").save(path, optimize=True)
    return path
