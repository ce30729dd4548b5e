"""月度公开监督报告: what a unit disclosed in one month, what was late, feedback and requests handled,
satisfaction — as a dict that the HTML page and the PDF (reportlab, CJK font) both render."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.duedates import disclosure_deadline, period_outcome
from content.model import TimeRuleKind
from content.timerules import period_start
from server.oversight import compliance
from server.oversight.pdffont import cjk_font
from server.hearing import satisfaction as sat
from server.hearing.feedback import on_time
from server.hearing.models import Feedback, InfoRequest
from server.i18n import term
from server.models import Category, Item, Revision, Unit
from server.workdays import calendar_for, local

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 2000


class MonthError(ValueError):
    """A month the report cannot be made for; the catalogue key `key` with `params` says why."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key, self.params = key, params


def parse_month(text: str | None, today: date) -> tuple[date, date]:
    """First and last day of "YYYY-MM"; refuses other shapes and months after the current one."""
    found = MONTH.match((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < FIRST_YEAR:
        shown = (text or "")[:20]
        raise MonthError("cmp.bad_month", shown=shown, example=f"{today:%Y-%m}")
    first = date(int(found.group(1)), int(found.group(2)), 1)
    if first > today:
        raise MonthError("cmp.future_month", month=f"{first:%Y-%m}")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def _in(when, first: date, last: date) -> bool:
    return when is not None and first <= local(when).date() <= last


def disclosed(revisions, first: date, last: date) -> list[dict]:
    """Revisions that went live in the month, grouped by category (新公开 and 更正 alike)."""
    groups: dict[int, dict] = {}
    for rev in revisions:
        if not _in(rev.published_at, first, last):
            continue
        cat = rev.item.category
        group = groups.setdefault(cat.id, {"category": cat.name, "department": cat.owner or "—", "items": []})
        group["items"].append({"id": rev.item.id, "title": rev.title, "number": rev.number,
                               "date": local(rev.published_at).date()})
    return sorted(groups.values(), key=lambda g: g["category"])


def periodic_due(s: Session, unit: Unit, revisions, first: date, as_of: date, cal) -> list[dict]:
    """定期 categories whose period begins this month: published on time, late, or not at all."""
    dates = compliance.published_dates(revisions)
    rows = []
    for cat in s.scalars(select(Category).where(Category.unit_id == unit.id).order_by(Category.position)):
        rule = compliance.rule_of(cat)
        if rule is None or rule.kind is not TimeRuleKind.PERIODIC or period_start(rule.period, first) != first:
            continue
        outcome, due, published = period_outcome(rule, dates.get(cat.id, []), first, as_of, cal)
        rows.append({"category": cat.name, "department": cat.owner or "—", "due": due,
                     "outcome": outcome, "published": published})
    return rows


def late_changes(revisions, first: date, last: date, as_of: date, cal) -> list[dict]:
    """Changes past their disclosure deadline: published late this month, or still unpublished."""
    rows = []
    for rev in revisions:
        created = compliance.changed_on(rev)
        if created > last:
            continue
        deadline = disclosure_deadline(created, rev.item.category.disclosure_days or 20, cal)
        published = local(rev.published_at).date() if rev.published_at is not None else None
        late_now = published is None and rev.status in compliance.UNPUBLISHED and deadline < as_of
        late_here = published is not None and first <= published <= last and published > deadline
        if late_now or late_here:
            end = published or as_of
            rows.append({"id": rev.item.id, "title": rev.title, "category": rev.item.category.name,
                         "department": rev.item.category.owner or "—", "deadline": deadline,
                         "published": published, "late_days": cal.working_days_between(deadline, end)})
    return rows


def handling(rows, first: date, last: date, as_of: date, timely) -> dict:
    """Received / answered / on time / still overdue at the end of the month, for feedback or requests."""
    received = [r for r in rows if _in(r.received_at, first, last)]
    answered = [r for r in rows if _in(r.answered_at, first, last)]
    good = sum(1 for r in answered if timely(r))
    overdue = [r for r in rows if local(r.received_at).date() <= last and r.due_date < as_of
               and (r.answered_at is None or local(r.answered_at).date() > as_of)]
    return {"received": len(received), "answered": len(answered), "on_time": good,
            "on_time_pct": sat.pct(good, len(answered)), "overdue": len(overdue)}


def build(s: Session, unit: Unit, month: str, today: date) -> dict:
    """The whole report for `month` ("YYYY-MM"), as of its last day (or today, for this month)."""
    first, last = parse_month(month, today)
    as_of = min(today, last)
    cal = calendar_for(s)
    revisions = compliance.unit_revisions(s, unit)
    notices = s.scalars(select(Revision).join(Item).where(Item.unit_id == unit.id, Item.kind == "notice")).all()
    feedback = s.scalars(select(Feedback).where(Feedback.unit_id == unit.id)).all()
    requests = s.scalars(select(InfoRequest).where(InfoRequest.unit_id == unit.id,
                                                   InfoRequest.status != "correction")).all()
    groups = disclosed(revisions, first, last)
    periodic = periodic_due(s, unit, revisions, first, as_of, cal)
    return {"unit": unit, "month": f"{first:%Y-%m}", "as_of": as_of, "disclosed": groups,
            "disclosed_total": sum(len(g["items"]) for g in groups),
            "notices": sum(1 for n in notices if _in(n.published_at, first, last)),
            "periodic": periodic,
            "periodic_late": [r for r in periodic if r["outcome"] in ("late", "overdue", "missed")],
            "late_changes": late_changes(revisions, first, last, as_of, cal),
            "feedback": handling(feedback, first, last, as_of, on_time),
            "requests": handling(requests, first, last, as_of,
                                 lambda r: local(r.answered_at).date() <= r.due_date),
            "satisfaction": sat.satisfaction(s, unit, f"{first:%Y-%m}")}


def month_lines(report: dict) -> dict[str, list]:
    """Per department: how many disclosures and how many late ones (for the summary table)."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group in report["disclosed"]:
        table[group["department"]][0] += len(group["items"])
    for row in report["periodic_late"] + report["late_changes"]:
        table[row["department"]][1] += 1
    return dict(sorted(table.items()))


# --- PDF ------------------------------------------------------------------------------------------

def _pct(value) -> str:
    return "—" if value is None else f"{value} %"


def _table(rows: list[list], widths, font: str):
    """A grid table whose cells wrap Chinese text inside their column."""
    from xml.sax.saxutils import escape
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    table = Table([[Paragraph(escape(str(c)), cell) for c in row] for row in rows], colWidths=widths,
                  repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa4ae")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def pdf_story(report: dict, font: str) -> list:
    """The report as reportlab flowables, in the order of the HTML page."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6, wordWrap="CJK")
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4,
                        wordWrap="CJK")
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    fb, rq = report["feedback"], report["requests"]
    story = [Paragraph(f"{report['unit'].name} {report['month']} 公开监督月报", h1),
             Paragraph(f"统计截至 {report['as_of']:%Y-%m-%d}。本月公开 {report['disclosed_total']} 项，"
                       f"撤销/更正说明 {report['notices']} 项；逾期 {len(report['periodic_late'])} 项定期公开、"
                       f"{len(report['late_changes'])} 项变更公开。", body),
             Paragraph("一、本月公开情况", h2)]
    rows = [["分类", "责任部门", "事项", "公开日期"]]
    for group in report["disclosed"]:
        for item in group["items"]:
            rows.append([group["category"], group["department"], f"#{item['id']} {item['title']}",
                         f"{item['date']:%Y-%m-%d}"])
    story.append(_table(rows, [32 * mm, 30 * mm, 90 * mm, 24 * mm], font) if len(rows) > 1
                 else Paragraph("本月无新公开事项。", body))
    story.append(Paragraph("二、逾期情况", h2))
    rows = [["类型", "分类/事项", "责任部门", "期限", "状态"]]
    for r in report["periodic_late"]:
        rows.append(["定期公开", r["category"], r["department"], f"{r['due']:%Y-%m-%d}",
                     term("cmp.out", r["outcome"], language="zh")])
    for r in report["late_changes"]:
        state = f"{r['published']:%Y-%m-%d} 公开" if r["published"] else "尚未公开"
        rows.append(["变更公开", f"#{r['id']} {r['title']}", r["department"], f"{r['deadline']:%Y-%m-%d}",
                     f"{state}，逾期 {r['late_days']} 个工作日"])
    story.append(_table(rows, [20 * mm, 58 * mm, 28 * mm, 22 * mm, 48 * mm], font) if len(rows) > 1
                 else Paragraph("本月无逾期事项。", body))
    story.append(Paragraph("三、反馈与依申请公开办理", h2))
    story.append(_table([["", "本月收到", "本月答复", "按时答复", "按时率", "月末超期未办"],
                         ["意见反馈", fb["received"], fb["answered"], fb["on_time"], _pct(fb["on_time_pct"]), fb["overdue"]],
                         ["依申请公开", rq["received"], rq["answered"], rq["on_time"], _pct(rq["on_time_pct"]), rq["overdue"]]],
                        [28 * mm] + [29 * mm] * 5, font))
    story.append(Paragraph("四、满意度评议", h2))
    rows = [["范围", "名称", "满意", "基本满意", "不满意", "满意率", "整改"]]
    for r in report["satisfaction"]["rows"]:
        rows.append([term("cmp.scope", r["kind"], default=r["kind"], language="zh"), r["name"], r["satisfied"], r["basic"], r["unsatisfied"],
                     _pct(r["pct"]), "需整改" if r["flag"] else ""])
    story.append(_table(rows, [18 * mm, 52 * mm, 18 * mm, 20 * mm, 18 * mm, 22 * mm, 18 * mm], font)
                 if len(rows) > 1 else Paragraph("本月无评价。", body))
    story += [Spacer(1, 12 * mm), Paragraph("监督人签字：________________　　日期：____________", body)]
    return story


def render_pdf(report: dict, note: str = "") -> bytes:
    """The report as an A4 PDF with embedded Chinese glyphs; `note` (e.g. who submitted it when) is
    printed under the title."""
    import io
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{report['unit'].name} {report['month']} 公开监督月报",
                            author="Gongkai")
    story = pdf_story(report, cjk_font())
    if note:
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.platypus import Paragraph
        from xml.sax.saxutils import escape
        style = ParagraphStyle("note", fontName=cjk_font(), fontSize=9, leading=13, spaceAfter=4, wordWrap="CJK")
        story.insert(1, Paragraph(escape(note), style))
    doc.build(story)
    return out.getvalue()
