"""The disclosure domain as plain values: units, categories, items, revisions, audiences, time rules.

Nothing here knows about Flask, SQLAlchemy or Kivy; the server stores these shapes and the
devices receive them in the feed.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class Audience(str, enum.Enum):
    """Who a screen serves and who an item is for."""

    PARTY = "party"        # 党员
    STAFF = "staff"        # 内部职工
    PATIENTS = "patients"  # 患者
    PUBLIC = "public"      # 社会公众

    @classmethod
    def parse_many(cls, values) -> frozenset["Audience"]:
        """Parse a list of audience names; raises ValueError naming the bad one."""
        out = set()
        for v in values:
            try:
                out.add(cls(v))
            except ValueError:
                raise ValueError(f"unknown audience: {v!r}") from None
        return frozenset(out)


INTERNAL_AUDIENCES = frozenset({Audience.PARTY, Audience.STAFF})

# Every date and time the system accepts lies in these years: a stored year 1 or 9999 overflows
# the moment it is moved into local time, so such values are refused at the edge.
MIN_YEAR, MAX_YEAR = 2000, 2100


def in_years(when) -> bool:
    """True for a date or datetime within MIN_YEAR..MAX_YEAR."""
    return MIN_YEAR <= when.year <= MAX_YEAR
EXTERNAL_AUDIENCES = frozenset({Audience.PATIENTS, Audience.PUBLIC})


class Role(str, enum.Enum):
    """Staff roles; a person may hold several, per unit."""

    CONTRIBUTOR = "contributor"          # 科室联络员
    REVIEWER = "reviewer"                # 公开办
    CONFIDENTIALITY = "confidentiality"  # 保密审查
    APPROVER = "approver"                # 领导小组
    HANDLER = "handler"                  # answers feedback
    SUPERVISOR = "supervisor"            # 监督 (纪委/工会)
    ADMIN = "admin"                      # users, catalog, screens


class Status(str, enum.Enum):
    """Where one revision stands in the disclosure workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"    # 提出
    REVIEWED = "reviewed"      # 审议
    CLEARED = "cleared"        # 保密审查
    APPROVED = "approved"      # 审定 (sensitive: waiting for the escalated approval)
    SCHEDULED = "scheduled"    # approved, window not open yet
    PUBLISHED = "published"    # 公开
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"    # 撤销
    SUPERSEDED = "superseded"  # 变更


LIVE_STATUSES = frozenset({Status.SCHEDULED, Status.PUBLISHED})
FINAL_STATUSES = frozenset({Status.EXPIRED, Status.WITHDRAWN, Status.SUPERSEDED})


class TimeRuleKind(str, enum.Enum):
    STANDING = "standing"    # 长期
    PERIODIC = "periodic"    # 定期
    PHASED = "phased"        # 分期
    IMMEDIATE = "immediate"  # 即时 / 公示


class Period(str, enum.Enum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class TimeRule:
    """时限: how long an item stays disclosed and when it is due again.

    periodic: `period` and `due_day` (due by that day of the period's first month, e.g. quarterly
    by the 10th). immediate: a window of `working_days` from its start (e.g. 任前公示 5 working days).
    """

    kind: TimeRuleKind = TimeRuleKind.STANDING
    period: Period | None = None
    due_day: int | None = None
    working_days: int | None = None

    def __post_init__(self):
        if self.kind is TimeRuleKind.PERIODIC:
            if self.period is None or self.due_day is None:
                raise ValueError("a periodic rule needs period and due_day")
            if not 1 <= self.due_day <= 28:
                raise ValueError("due_day must be between 1 and 28")
        if self.working_days is not None and not 1 <= self.working_days <= 365:
            raise ValueError("working_days must be between 1 and 365")

    def to_dict(self) -> dict:
        d = {"kind": self.kind.value}
        if self.period is not None:
            d["period"] = self.period.value
        if self.due_day is not None:
            d["due_day"] = self.due_day
        if self.working_days is not None:
            d["working_days"] = self.working_days
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> "TimeRule":
        if not d:
            return cls()
        try:
            return cls(
                kind=TimeRuleKind(d.get("kind", "standing")),
                period=Period(d["period"]) if d.get("period") else None,
                due_day=int(d["due_day"]) if d.get("due_day") is not None else None,
                working_days=int(d["working_days"]) if d.get("working_days") is not None else None,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"bad time rule: {exc}") from None


@dataclass(frozen=True)
class AudienceStep:
    """From `at` on (None = from the start), the item is open to `audiences` as well (先内后外)."""

    audiences: frozenset[Audience]
    at: datetime | None = None


@dataclass(frozen=True)
class AudiencePlan:
    """The scheduled widening of an item's audiences: steps only ever add audiences."""

    steps: tuple[AudienceStep, ...]

    @classmethod
    def simple(cls, audiences) -> "AudiencePlan":
        return cls((AudienceStep(frozenset(audiences)),))

    def at(self, when: datetime) -> frozenset[Audience]:
        """Audiences the item is open to at `when`."""
        out: set[Audience] = set()
        for step in self.steps:
            if step.at is None or step.at <= when:
                out |= step.audiences
        return frozenset(out)

    def all(self) -> frozenset[Audience]:
        out: set[Audience] = set()
        for step in self.steps:
            out |= step.audiences
        return frozenset(out)

    def to_list(self) -> list[dict]:
        return [{"audiences": sorted(a.value for a in s.audiences),
                 "at": s.at.isoformat() if s.at else None} for s in self.steps]

    @classmethod
    def from_list(cls, data) -> "AudiencePlan":
        """Accepts ["public", ...] or [{"audiences": [...], "at": iso|None}, ...]."""
        if not isinstance(data, list) or not data:
            raise ValueError("audiences must be a non-empty list")
        if all(isinstance(x, str) for x in data):
            return cls.simple(Audience.parse_many(data))
        steps = []
        for x in data:
            if not isinstance(x, dict):
                raise ValueError("each audience step must be an object")
            at = x.get("at")
            when = datetime.fromisoformat(at) if at else None
            if when is not None and when.tzinfo is None:
                raise ValueError("audience step times need a UTC offset")
            if when is not None and not in_years(when):
                raise ValueError(f"audience step times lie in {MIN_YEAR}..{MAX_YEAR}")
            steps.append(AudienceStep(Audience.parse_many(x.get("audiences") or []), when))
        if not any(s.audiences for s in steps):
            raise ValueError("audiences must not be empty")
        return cls(tuple(steps))


class UnitKind(str, enum.Enum):
    HOSPITAL = "hospital"
    BUREAU = "bureau"   # 卫生局: its members are hospitals and clinics


@dataclass(frozen=True)
class Unit:
    """单位: a hospital, or a health bureau with member units."""

    code: str
    name: str
    kind: UnitKind = UnitKind.HOSPITAL
    parent: str | None = None


@dataclass(frozen=True)
class Category:
    """One node of the 公开目录."""

    key: str
    name: str
    parent: str | None
    owner: str
    audiences: frozenset[Audience]
    time_rule: TimeRule
    description: str = ""
    name_en: str = ""
    sensitive: bool = False
    disclosure_days: int = 20


@dataclass(frozen=True)
class Window:
    """Display window; either end may be open."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, when: datetime) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when < self.end)


@dataclass
class Revision:
    """One version of an item; every change is a new revision."""

    number: int
    title: str
    body: str = ""
    table: dict | None = None
    audiences: AudiencePlan = field(default_factory=lambda: AudiencePlan.simple({Audience.PUBLIC}))
    window: Window = field(default_factory=Window)
    sensitive: bool = False
    status: Status = Status.DRAFT
    reason: str = ""


@dataclass
class Item:
    """公开事项: one thing disclosed, in one category of one unit."""

    id: int | None
    unit: str
    category: str
    revisions: list[Revision] = field(default_factory=list)
    created: date | None = None
