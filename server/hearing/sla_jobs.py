"""限时办结 daily job: on each working day at DIGEST_TIME (local), escalate long-overdue feedback and
write the overdue digest of every unit (kept for the admin UI), then e-mail it when SMTP is set up.

Several server processes run this loop; inserting the (unit, day) row of sla_digest_run is the
once-per-day guard, and a conditional UPDATE claims each e-mail attempt, so nothing is sent twice.
A failed send is logged and retried every DIGEST_RETRY_MINUTES until it goes out or the next
day's digest replaces it."""
from __future__ import annotations

import logging
import re
import threading
from datetime import date, datetime, time, timedelta

from flask import current_app
from markupsafe import escape
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.model import Role
from server import db

from server.hearing import feedback as fbs

from server.hearing import mailer

from server.hearing import requests as rqs
from server.hearing.models import DigestRun, InfoRequest
from server.i18n import term
from server.models import Unit, utcnow
from server.workdays import calendar_for, local

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0
READERS = (Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN)  # may read the daily digests
STALE_SENDING = timedelta(minutes=30)  # a "sending" claim older than this died with its process
WHOLE = "*"                            # mail_pending entry: the DIGEST_RECIPIENTS get everything


def digest_time(config) -> time:
    """DIGEST_TIME as a time of day; a malformed value is logged and 08:30 used."""
    value = str(config.get("DIGEST_TIME") or "08:30")
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if match is None:
        log.error("DIGEST_TIME %r is not HH:MM; using 08:30", value)
        return time(8, 30)
    return time(int(match.group(1)), int(match.group(2)))


def is_due(s: Session, now: datetime, config) -> bool:
    """True on a working day (calendar with overrides) at or after DIGEST_TIME local."""
    here = local(now)
    return calendar_for(s).is_working_day(here.date()) and here.time() >= digest_time(config)


# --- what the digest says ---------------------------------------------------------------------

def digest_data(s: Session, unit: Unit, on: date) -> dict:
    """Overdue open feedback per department and delayed / long-overdue requests, as plain data."""
    cal = calendar_for(s)
    departments: dict[str, list[dict]] = {}
    for department, rows in fbs.overdue_digest(s, unit, on).items():
        departments[department] = [{
            "code": fb.code, "kind": fb.kind, "status": fb.status, "due": fb.due_date.isoformat(),
            "late": cal.working_days_between(fb.due_date, on), "escalated": fb.escalated,
            "text": fb.text[:60]} for fb in rows]
    requests = []
    for req in s.scalars(select(InfoRequest).where(InfoRequest.unit_id == unit.id,
                                                   InfoRequest.status.in_(("received", "extended")),
                                                   InfoRequest.due_date < on)
                         .order_by(InfoRequest.due_date)):
        requests.append({"code": req.code, "due": req.due_date.isoformat(),
                         "late": cal.working_days_between(req.due_date, on),
                         "alert": rqs.alert(s, req, on, cal)})
    return {"day": on.isoformat(), "unit": unit.name, "departments": departments, "requests": requests}


def subject(data: dict, department: str | None = None) -> str:
    count = sum(len(v) for v in data["departments"].values())
    if department is not None:
        return f"【限时办结】{data['unit']} {department} {data['day']} 超期未办结反馈 " \
               f"{len(data['departments'].get(department, []))} 件"
    return f"【限时办结】{data['unit']} {data['day']} 超期汇总：反馈 {count} 件，依申请公开 " \
           f"{len(data['requests'])} 件"


def _kind(kind: str) -> str:
    return term("kind", kind, default=kind, language="zh")


def _alert(alert: str | None) -> str:
    """严重超期, or 已超期 for any other late request."""
    return term("badge", "long_overdue" if alert == "long_overdue" else "delayed", language="zh")


def _feedback_line(row: dict) -> str:
    flag = "，已上报纪委/工会" if row["escalated"] else ""
    return (f"  {row['code']}  {_kind(row['kind'])}  期限 {row['due']}  "
            f"超期 {row['late']} 个工作日{flag}  {row['text']}")


def as_text(data: dict, department: str | None = None) -> str:
    """The plain-text body in Chinese."""
    parts = [f"{data['unit']} 每日超期汇总（{data['day']}）", ""]
    shown = {department: data["departments"].get(department, [])} if department is not None \
        else data["departments"]
    if not any(shown.values()):
        parts.append("没有超期未办结的反馈。")
    for name, rows in shown.items():
        parts.append(f"{name}（{len(rows)} 件）：")
        parts.extend(_feedback_line(row) for row in rows)
        parts.append("")
    if department is None:
        if data["requests"]:
            parts.append(f"依申请公开超期（{len(data['requests'])} 件）：")
            parts.extend(f"  {r['code']}  期限 {r['due']}  超期 {r['late']} 个工作日  "
                         f"{_alert(r['alert'])}" for r in data["requests"])
        else:
            parts.append("没有超期的依申请公开申请。")
    parts += ["", "请登录院务公开管理后台「反馈收件箱」处理。此邮件由系统自动发送。"]
    return "\n".join(parts)


def as_html(data: dict, department: str | None = None) -> str:
    """A simple HTML body (tables, no images, no scripts); every value escaped."""
    shown = {department: data["departments"].get(department, [])} if department is not None \
        else data["departments"]
    out = [f"<h2>{escape(data['unit'])} 每日超期汇总（{escape(data['day'])}）</h2>"]
    if not any(shown.values()):
        out.append("<p>没有超期未办结的反馈。</p>")
    for name, rows in shown.items():
        out.append(f"<h3>{escape(name)}（{len(rows)} 件）</h3><table border=\"1\" cellpadding=\"4\" "
                   "style=\"border-collapse:collapse\"><tr><th>查询码</th><th>类型</th><th>期限</th>"
                   "<th>超期工作日</th><th>已上报</th><th>内容</th></tr>")
        for r in rows:
            out.append(f"<tr><td>{escape(r['code'])}</td><td>{escape(_kind(r['kind']))}</td>"
                       f"<td>{escape(r['due'])}</td><td>{r['late']}</td><td>{'是' if r['escalated'] else ''}</td>"
                       f"<td>{escape(r['text'])}</td></tr>")
        out.append("</table>")
    if department is None and data["requests"]:
        out.append(f"<h3>依申请公开超期（{len(data['requests'])} 件）</h3><ul>")
        out.extend(f"<li>{escape(r['code'])} 期限 {escape(r['due'])}，超期 {r['late']} 个工作日，"
                   f"{escape(_alert(r['alert']))}</li>" for r in data["requests"])
        out.append("</ul>")
    out.append("<p>请登录院务公开管理后台「反馈收件箱」处理。此邮件由系统自动发送。</p>")
    return "\n".join(out)


# --- who gets it ------------------------------------------------------------------------------

def department_addresses(config) -> dict:
    """DIGEST_DEPARTMENT_RECIPIENTS, or {} (logged) when it is not a mapping."""
    value = config.get("DIGEST_DEPARTMENT_RECIPIENTS") or {}
    if not isinstance(value, dict):
        log.error("DIGEST_DEPARTMENT_RECIPIENTS must map department names to addresses; ignored")
        return {}
    return value


def mail_groups(config, data: dict) -> list[str]:
    """The messages this digest needs: "*" for DIGEST_RECIPIENTS (when anything is overdue) and
    "dept:<name>" for each overdue department with its own addresses. Empty when mail is off."""
    if not mailer.configured(config):
        return []
    groups = []
    anything = any(data["departments"].values()) or data["requests"]
    if anything and mailer.addresses(config.get("DIGEST_RECIPIENTS")):
        groups.append(WHOLE)
    per_dept = department_addresses(config)
    for name, rows in data["departments"].items():
        if rows and mailer.addresses(per_dept.get(name)):
            groups.append("dept:" + name)
    return groups


def _message(config, data: dict, group: str) -> tuple[list[str], str, str, str]:
    if group == WHOLE:
        return (mailer.addresses(config.get("DIGEST_RECIPIENTS")), subject(data), as_text(data),
                as_html(data))
    name = group.removeprefix("dept:")
    to = mailer.addresses(department_addresses(config).get(name))
    return to, subject(data, name), as_text(data, name), as_html(data, name)


def send_mail(s: Session, run: DigestRun, now: datetime | None = None) -> bool:
    """Send the digest's pending messages once: claim the attempt with a conditional UPDATE (only
    one process wins), send, record what went out. A failure is logged, never raised."""
    now = now or utcnow()
    config = current_app.config
    claimed = s.execute(update(DigestRun).where(
        DigestRun.id == run.id, DigestRun.mail_status.in_(("pending", "failed")))
        .values(mail_status="sending", mail_attempts=DigestRun.mail_attempts + 1, tried_at=now)
        .execution_options(synchronize_session=False)).rowcount
    s.commit()
    if claimed != 1:
        return False
    s.refresh(run)
    pending, error = list(run.mail_pending or []), ""
    for group in list(pending):
        to, subj, text, html = _message(config, run.data, group)
        if not to:
            pending.remove(group)
            continue
        try:
            mailer.send(config, to, subj, text, html)
        except Exception as exc:  # SMTP down or refusing: log, keep the rest for the next attempt
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("overdue digest e-mail for %s (%s) failed: %s", run.unit.code, group, error)
            break
        pending.remove(group)
    run.mail_pending = pending
    run.mail_error = error
    run.mail_status = "failed" if pending else "sent"
    if not pending:
        run.mailed_at = utcnow()
    s.commit()
    return not pending


# --- the daily run ----------------------------------------------------------------------------

def claim_day(s: Session, unit: Unit, day: date) -> DigestRun | None:
    """Insert today's row for the unit; None when another process (or an earlier tick) has it."""
    run = DigestRun(unit_id=unit.id, day=day, data={}, mail_status="pending", mail_pending=[])
    s.add(run)
    try:
        s.commit()
    except IntegrityError:
        s.rollback()
        return None
    return run


def run_unit(s: Session, unit: Unit, now: datetime) -> DigestRun | None:
    """Once per unit and day: escalate, write the digest, prune old ones, then try the e-mail."""
    config = current_app.config
    on = local(now).date()
    run = claim_day(s, unit, on)
    if run is None:
        return None
    try:
        escalated = fbs.escalate_overdue(s, unit, on)
        data = digest_data(s, unit, on)
        run.data = data
        run.overdue = sum(len(v) for v in data["departments"].values())
        run.escalated = len(escalated)
        run.mail_pending = mail_groups(config, data)
        run.mail_status = "pending" if run.mail_pending else "off"
        s.commit()
    except Exception:  # give the day back so the next tick tries again
        s.rollback()
        s.execute(delete(DigestRun).where(DigestRun.id == run.id))
        s.commit()
        raise
    keep = max(1, int(config.get("DIGEST_KEEP") or 30))
    old = s.scalars(select(DigestRun.id).where(DigestRun.unit_id == unit.id)
                    .order_by(DigestRun.day.desc()).offset(keep)).all()
    if old:
        s.execute(delete(DigestRun).where(DigestRun.id.in_(old)))
        s.commit()
    log.info("overdue digest %s %s: %d overdue, %d escalated", unit.code, on, run.overdue, run.escalated)
    if run.mail_pending:
        send_mail(s, run, now)
    return run


def retry_mail(s: Session, now: datetime) -> int:
    """Retry each unit's latest digest whose e-mail failed DIGEST_RETRY_MINUTES ago or more."""
    wait = timedelta(minutes=float(current_app.config.get("DIGEST_RETRY_MINUTES") or 0))
    sent = 0
    for unit in s.scalars(select(Unit)).all():
        run = s.scalar(select(DigestRun).where(DigestRun.unit_id == unit.id)
                       .order_by(DigestRun.day.desc()).limit(1))
        if run is None or not run.mail_pending:
            continue
        if run.mail_status == "sending" and run.tried_at and run.tried_at <= now - STALE_SENDING:
            s.execute(update(DigestRun).where(DigestRun.id == run.id, DigestRun.mail_status == "sending",
                                              DigestRun.tried_at == run.tried_at)
                      .values(mail_status="failed").execution_options(synchronize_session=False))
            s.commit()
            s.refresh(run)
        if run.mail_status == "failed" and (run.tried_at is None or run.tried_at <= now - wait):
            sent += send_mail(s, run, now)
    return sent


def run_daily(now: datetime | None = None, force: bool = False) -> list[DigestRun]:
    """One tick (inside an app context): the day's digests if due (or `force`, e.g. from the CLI on a
    day off) and not yet written, then retries of failed e-mail."""
    s = db.session()
    now = now or utcnow()
    made = []
    if force or is_due(s, now, current_app.config):
        for unit in s.scalars(select(Unit).order_by(Unit.id)).all():
            run = run_unit(s, unit, now)
            if run is not None:
                made.append(run)
    if mailer.configured(current_app.config):
        retry_mail(s, now)
    return made


def recent(s: Session, unit: Unit) -> list[DigestRun]:
    """The digests the admin UI shows, newest first."""
    keep = max(1, int(current_app.config.get("DIGEST_KEEP") or 30))
    return list(s.scalars(select(DigestRun).where(DigestRun.unit_id == unit.id)
                          .order_by(DigestRun.day.desc()).limit(keep)))


def start_digest_job(app) -> threading.Thread:
    """A daemon thread that checks once a minute whether today's digest is due (see run_daily)."""
    from server.background import start_periodic
    return start_periodic(app, "gongkai-sla-digest", run_daily, TICK_SECONDS)
