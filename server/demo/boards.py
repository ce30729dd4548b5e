"""The demo's 公开栏: two board location codes of the first hospital, the price list posted on both
(current), and revision 1 of 便民服务措施 still hanging in the lobby after its 更正 — the outdated
print that the item page, the boards page and 公开监督 show as "更换为第 2 版"."""
from __future__ import annotations

from sqlalchemy import select

from server.boards import postings
from server.hearing import feedback
from server.models import Item, Revision, Unit, User

BOARDS = [("GKL1", "门诊大厅院务公开栏"), ("GKL2", "住院部院务公开栏")]
CURRENT = "2026 年医疗服务项目价格公示"
OUTDATED = "便民服务措施"


def _item(s, unit: Unit, title: str) -> Item:
    return s.scalar(select(Item).join(Revision).where(Item.unit_id == unit.id, Revision.title == title).limit(1))


def seed_boards(s, unit: Unit) -> None:
    """Boards and postings, made through the real services as the 公开办 would."""
    office = s.scalar(select(User).where(User.username == "gongkai"))
    admin = s.scalar(select(User).where(User.username == "admin"))
    for code, name in BOARDS:
        feedback.add_point(s, admin, unit, code, name)
    prices = _item(s, unit, CURRENT)
    for code, _ in BOARDS:
        postings.record_posting(s, office, prices, board=code, size="A3", orientation="portrait")
    conveniences = _item(s, unit, OUTDATED)
    postings.record_posting(s, office, conveniences, board="GKL1", number=1)
