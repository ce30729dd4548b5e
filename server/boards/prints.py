"""打印公开栏: which revision may be printed (only the one published now: 409 otherwise), for which board
(a location code of the item's own unit: 404 otherwise, the unit's first one by default), and the
`Sheet` the PDF is laid out from — the same revision, table and images the screens show."""
from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.model import Status
from server.boards.print_pdf import ORIENTATIONS, PAPER_SIZES, Sheet, render
from server.disclosure import items
from server.guard.bounds import as_id
from server.hearing.models import FeedbackPoint
from server.models import Item, Revision, Unit, User
from server.validation import ServiceError
from server.workdays import local


def clean_paper(size, orientation) -> tuple[str, str]:
    """("A4", "portrait") from the form's words (either case; empty means the default); 422 naming the field."""
    paper = str(size or "A4").strip().upper()
    turn = str(orientation or "portrait").strip().lower()
    errors = {}
    if paper not in PAPER_SIZES:
        errors["size"] = ("brd.bad_size", {"choices": "、".join(PAPER_SIZES)})
    if turn not in ORIENTATIONS:
        errors["orientation"] = ("brd.bad_orientation", {"choices": "、".join(ORIENTATIONS)})
    if errors:
        raise ServiceError(422, "invalid", errors)
    return paper, turn


def board_of(s: Session, unit: Unit, code) -> FeedbackPoint:
    """The unit's location code `code`; 404 for an unknown code or another unit's (no existence leak)."""
    code = str(code or "").strip().upper()
    point = s.scalar(select(FeedbackPoint).where(FeedbackPoint.code == code)) if 0 < len(code) <= 16 else None
    if point is None or point.unit_id != unit.id:
        raise ServiceError(404, "brd.board_not_found")
    return point


def unit_boards(s: Session, unit: Unit) -> list[FeedbackPoint]:
    """The unit's location codes (二维码位置), oldest first: the first is the default board."""
    return list(s.scalars(select(FeedbackPoint).where(FeedbackPoint.unit_id == unit.id).order_by(FeedbackPoint.id)))


def default_board(s: Session, unit: Unit) -> FeedbackPoint:
    """The unit's general location code (its first); 409 with what to do when it has none."""
    boards = unit_boards(s, unit)
    if not boards:
        raise ServiceError(409, "brd.no_board")
    return boards[0]


def printable(item: Item, number=None) -> Revision:
    """The revision to print: the published one, or revision `number` if that is the published one.
    A draft, a revision in review, a scheduled, withdrawn, superseded or expired one: 409."""
    if number not in (None, ""):
        wanted = as_id(number)
        rev = next((r for r in item.revisions if r.number == wanted), None) if wanted else None
        if rev is None:
            raise ServiceError(404, "brd.no_revision")
    else:
        rev = items.live_revision(item) or item.revisions[-1]
    if rev.status != Status.PUBLISHED.value:
        raise ServiceError(409, "brd.not_published")
    return rev


def verification(rev: Revision) -> str:
    """The line that lets anyone compare the paper with the current revision: 第 3 版 · 2026-12-06 审定."""
    approved = next((d.at for d in reversed(rev.decisions) if d.action in ("approve", "escalate")), None)
    when = rev.published_at or approved
    return f"第 {rev.number} 版 · {local(when):%Y-%m-%d} 审定" if when else f"第 {rev.number} 版"


def scan_url(base_url: str, board: FeedbackPoint, item: Item, rev: Revision) -> str:
    """What the print's QR code holds: the board's feedback page about this item and revision."""
    return f"{base_url.rstrip('/')}/f/{board.code}?item={item.id}&v={rev.number}"


def media_path(media_dir: str, sha: str | None) -> str | None:
    path = os.path.join(media_dir, sha) if sha and sha.isalnum() else None
    return path if path and os.path.isfile(path) else None


def sheet_for(item: Item, rev: Revision, board: FeedbackPoint, base_url: str, media_dir: str) -> Sheet:
    """The print's words and files, from the stored revision and the unit's branding."""
    unit = item.unit
    window = f"{local(rev.window_start):%Y-%m-%d} 至 {local(rev.window_end):%Y-%m-%d}" \
        if rev.window_start and rev.window_end else ""
    published = rev.published_at or rev.window_start
    images = [(path, a.width, a.height) for a in rev.attachments
              if a.mime.startswith("image/") and (path := media_path(media_dir, a.sha256))]
    others = [a.filename or a.mime for a in rev.attachments if not a.mime.startswith("image/")]
    return Sheet(unit_name=unit.brand_name or unit.name, title=rev.title, body=rev.body or "", number=rev.number,
                 verification=verification(rev), published=f"{local(published):%Y-%m-%d %H:%M}" if published else "—",
                 window=window, qr_url=scan_url(base_url, board, item, rev), board_name=board.name,
                 logo_path=media_path(media_dir, (unit.logo or {}).get("sha256")), table=rev.table,
                 images=images, other_files=others)


def print_item(s: Session, user: User, item: Item, *, size=None, orientation=None, board=None, number=None,
               base_url: str, media_dir: str) -> tuple[bytes, str]:
    """(PDF bytes, file name) of the item's published revision for a 公开栏. Whoever may see the item
    may print it (404 otherwise, as for the item page)."""
    if not items.can_view(user, item):
        raise ServiceError(404, "not_found")
    paper, turn = clean_paper(size, orientation)
    point = board_of(s, item.unit, board) if board not in (None, "") else default_board(s, item.unit)
    rev = printable(item, number)
    pdf = render(sheet_for(item, rev, point, base_url, media_dir), paper, turn)
    return pdf, f"gongkai-{item.unit.code}-{item.id}-v{rev.number}-{paper}-{turn}.pdf"
