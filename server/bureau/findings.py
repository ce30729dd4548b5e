"""What a 督查通报 finds, declared once: each finding kind names how its figure is read for one member
hospital. The circular's body, its per-hospital table, the findings stored with it and the strings
(`cir.kind.<key>`) all follow this tuple, so a new kind is one entry here plus its string (as the
公开栏 boards still carrying an outdated print: server/boards/postings.py, counted in the 公开监督 totals)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from server.models import Unit


@dataclass(frozen=True)
class FindingKind:
    """`figure(session, member unit, its 公开监督 totals)` → how many; 0 means no finding."""

    key: str
    figure: Callable[[Session, Unit, dict], int]


def _total(name: str) -> Callable[[Session, Unit, dict], int]:
    return lambda s, unit, totals: int(totals.get(name, 0))


FINDING_KINDS: tuple[FindingKind, ...] = (
    FindingKind("periodic_overdue", _total("periodic_overdue")),    # 定期 items past their due date
    FindingKind("change_overdue", _total("change_overdue")),        # changes not disclosed in time
    FindingKind("feedback_overdue", _total("feedback_overdue")),    # feedback past its deadline
    FindingKind("requests_late", _total("requests_late")),          # 依申请公开 delayed or long overdue
    FindingKind("satisfaction_flags", _total("flags")),             # 满意率 under the line
    FindingKind("outdated_boards", _total("outdated_boards")),      # 公开栏 prints to replace or take down
)
KINDS: tuple[str, ...] = tuple(k.key for k in FINDING_KINDS)

# Where a finding stands for the bureau and the hospital (term("cir.st", state)).
STATES: tuple[str, ...] = ("pending", "overdue", "answered", "accepted")


def figures(s: Session, unit: Unit, totals: dict) -> dict[str, int]:
    """Kind → figure for one member hospital, in the declared order."""
    return {kind.key: kind.figure(s, unit, totals) for kind in FINDING_KINDS}
