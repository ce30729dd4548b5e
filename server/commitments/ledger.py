"""台账: the ledger of a unit's public commitments — every commitment with its 践诺 updates (and
their approval), 评诺 rating counts and 满意率 — as rows for the printable page and as CSV."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.guard.csvsafe import csv_text
from server.disclosure import items
from server.commitments.pledges import approval_status, is_overdue, progress_of, rating_counts, unit_commitments
from server.i18n import term
from server.models import Unit
from server.workdays import local

LEDGER_COLUMNS = ["承诺编号", "事项编号", "记录", "承诺主体类型", "承诺主体", "承诺事项", "承诺时限", "兑现情况",
                  "是否逾期", "日期", "内容", "完成情况", "审批状态", "审定时间", "满意", "基本满意", "不满意",
                  "满意率"]


def ledger(s: Session, unit: Unit) -> list[dict]:
    """Every commitment of the unit (oldest first) with its updates and rating counts."""
    rows = sorted(unit_commitments(s, unit), key=lambda c: c.id)
    counts = rating_counts(s, [c.id for c in rows])
    return [{"c": c, "title": (items.live_revision(c.item) or c.item.revisions[-1]).title,
             "overdue": is_overdue(c), "updates": list(c.updates), "ratings": counts[c.id]} for c in rows]


def ledger_csv(entries: list[dict]) -> bytes:
    """The 台账 as CSV, UTF-8 with a BOM so Excel opens the Chinese correctly; text that would run as
    a formula is neutralised (server/guard/csvsafe.py)."""
    rows = []
    for e in entries:
        c, r = e["c"], e["ratings"]
        head = [c.id, c.item_id]
        facts = [term("committer_kind", c.committer_kind, language="zh"), c.committer, e["title"],
                 c.due_date.isoformat(), term("pledge_status", c.status, language="zh"), "是" if e["overdue"] else "否"]
        pct = "" if r["pct"] is None else f"{r['pct']}%"
        rows.append(head + ["承诺"] + facts + [local(c.created_at).date().isoformat(), c.pledge, "", "", "",
                                            r["satisfied"], r["basic"], r["unsatisfied"], pct])
        for u in e["updates"]:
            when = u.revision.published_at
            approved = local(when).strftime("%Y-%m-%d %H:%M") if when else ""
            rows.append(head + ["践诺"] + facts + [u.on_date.isoformat(), u.text, progress_of(u),
                                                approval_status(u, "zh"), approved, "", "", "", ""])
    return csv_text(LEDGER_COLUMNS, rows).encode("utf-8")
