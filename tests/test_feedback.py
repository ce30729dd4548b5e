"""Feedback and request services: 限时办结 deadlines across Spring Festival, National Day and 调休,
a property test that a due date is never a non-working day, tracking codes, the handling loop,
escalation, masking, satisfaction and the 依申请公开 clock (补正 restarts it, one extension)."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import func, select

from content.calendar import WorkingDayCalendar
from server import db
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.hearing import satisfaction as sat
from server.hearing import tracking
from server.hearing.models import Feedback
from server.hearing.tracking import rating_key
from server.instance import create_user, find_unit
from server.models import AuditEntry, User
from server.validation import ServiceError

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

CST = timezone(timedelta(hours=8))
CAL = WorkingDayCalendar()


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=CST)


@pytest.fixture
def ctx(app):
    """An app context with a session, unit H001 and a handler `hank` beside the conftest staff."""
    with app.test_request_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "hank", "secret-pass-1", ["handler"], unit)
        create_user(s, "hal", "secret-pass-1", ["handler"], unit)
        s.commit()
        users = {u.username: u for u in s.scalars(select(User))}
        yield s, unit, users


@pytest.mark.parametrize("received, days, due", [
    (at(2026, 2, 13), 5, date(2026, 2, 27)),   # 春节 2026: Feb 15–23 off; Sat Feb 14 (调休) counts
    (at(2026, 2, 14), 1, date(2026, 2, 24)),   # received on the 调休 Saturday: the next working day is after the holiday
    (at(2026, 2, 27), 1, date(2026, 2, 28)),   # Saturday Feb 28 2026 is a 调休 working day
    (at(2025, 9, 30), 5, date(2025, 10, 14)),  # 国庆+中秋 2025: Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked
    (at(2025, 10, 10), 1, date(2025, 10, 11)), # Saturday Oct 11 2025 is a 调休 working day
    (at(2025, 1, 24), 5, date(2025, 2, 7)),    # 春节 2025: Jan 28–Feb 4 off, Sun Jan 26 and Sat Feb 8 worked
    (at(2026, 3, 2, 23), 5, date(2026, 3, 9)), # an ordinary week
])
def test_feedback_due_dates_across_holidays(ctx, received, days, due):
    s, _, _ = ctx
    got = fbs.due_after(s, received, days)
    assert got == due
    assert CAL.is_working_day(got)


def test_due_date_counts_in_local_time(ctx):
    s, _, _ = ctx
    late_utc = datetime(2026, 3, 6, 17, 0, tzinfo=timezone.utc)  # Saturday 01:00 in Beijing
    assert fbs.due_after(s, late_utc, 1) == date(2026, 3, 9)


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
       days=st.integers(min_value=1, max_value=40))
def test_due_date_is_never_a_non_working_day(day, days):
    due = CAL.add_working_days(day, days)
    assert CAL.is_working_day(due)
    assert due > day
    assert CAL.working_days_between(day, due) == days


def test_tracking_codes_keep_their_prefix_and_are_random(ctx):
    """The attack: FK-2026-000001, -000002 … listed every case. Codes now end in 50 random bits."""
    s, unit, _ = ctx
    year = fbs.today().year
    codes = [fbs.create(s, unit, {"kind": "praise", "text": f"好 {n}"})[0].code for n in range(40)]
    pattern = re.compile(rf"FK-{year}-[{tracking.ALPHABET}]{{5}}-[{tracking.ALPHABET}]{{5}}")
    assert all(pattern.fullmatch(c) for c in codes) and len(set(codes)) == len(codes)
    assert not set("01IO") & set("".join(c[8:] for c in codes))          # an unambiguous alphabet
    assert len(tracking.ALPHABET) ** (tracking.GROUPS * tracking.GROUP_SIZE) >= 2 ** 40
    tails = [c[8:].replace("-", "") for c in codes]
    assert len({t[0] for t in tails}) > 8                                # not a counter: spread out
    r, _ = rqs.create(s, unit, {"name": "张三", "id_type": "id_card", "id_number": "110101199001011237", "contact": "a@b.cn",
                                "description": "采购合同", "delivery": "email"})
    assert pattern.fullmatch(r.code.replace("SQ-", "FK-", 1)) and r.code.startswith(f"SQ-{year}-")


def test_idempotency_key_stores_one(ctx):
    s, unit, _ = ctx
    first, created = fbs.create(s, unit, {"kind": "praise", "text": "谢谢"}, idem_key="k" * 20)
    again, created2 = fbs.create(s, unit, {"kind": "praise", "text": "谢谢"}, idem_key="k" * 20)
    assert created and not created2 and first.id == again.id
    assert s.scalar(select(func.count()).select_from(Feedback)) == 1


@pytest.mark.parametrize("data, field", [
    ({"kind": "rant", "text": "x"}, "kind"),
    ({"kind": "praise", "text": "   "}, "text"),
    ({"kind": "praise", "text": "字" * 1001}, "text"),
    ({"kind": "praise", "text": "x", "phone": "call me"}, "phone"),
    ({"kind": "praise", "text": "x", "name": "名" * 51}, "name"),
    ({"kind": "praise", "text": ["list"]}, "text"),
])
def test_bad_feedback_is_refused(ctx, data, field):
    s, unit, _ = ctx
    with pytest.raises(ServiceError) as exc:
        fbs.create(s, unit, data)
    assert field in exc.value.fields


def test_handling_loop_with_roles_steps_and_audit(ctx):
    s, unit, u = ctx
    fb, _ = fbs.create(s, unit, {"kind": "complaint", "text": "窗口态度差", "phone": "13800138000"})
    assert fb.status == "new" and fb.due_date == fbs.due_after(s, fb.received_at, 5)
    with pytest.raises(ServiceError) as exc:
        fbs.assign(s, u["alice"], fb, "门诊部")
    assert exc.value.status == 403
    with pytest.raises(ServiceError):
        fbs.assign(s, u["bob"], fb, "门诊部", handler=u["alice"])  # not a handler
    s.rollback()
    fbs.assign(s, u["bob"], fb, "门诊部", handler=u["hank"], conduct=True)
    assert fb.status == "assigned" and fb.escalated and fb.escalation_reason == "conduct"
    with pytest.raises(ServiceError) as exc:
        fbs.answer(s, u["hal"], fb, "已处理")  # assigned to hank
    assert exc.value.status == 403
    with pytest.raises(ServiceError) as exc:
        fbs.publish(s, u["bob"], fb)
    assert exc.value.status == 409
    fbs.answer(s, u["hank"], fb, "已批评教育当事人")
    fbs.publish(s, u["bob"], fb)
    key = rating_key(fb.code)
    with pytest.raises(ServiceError):
        fbs.rate(s, fb, "great", key)
    for wrong in (None, "", rating_key(fb.code + "X"), key[:-1]):   # only the submitter's link rates
        with pytest.raises(ServiceError) as exc:
            fbs.rate(s, fb, "unsatisfied", wrong)
        assert exc.value.status == 403 and "key" in exc.value.fields
    fbs.rate(s, fb, "basic", key.upper())
    with pytest.raises(ServiceError) as exc:
        fbs.rate(s, fb, "satisfied", key)
    assert exc.value.status == 409
    fbs.close(s, u["bob"], fb)
    assert [st.action for st in fb.steps] == ["received", "assigned", "answered", "published", "rated", "closed"]
    assert all(st.at is not None for st in fb.steps)
    assert fbs.on_time(fb) is True
    actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target == f"feedback:{fb.id}")).all()
    assert "feedback.create" in actions and "feedback.closed" in actions


def test_phone_is_masked_except_for_supervisor_and_assigned_handler(ctx):
    s, unit, u = ctx
    fb, _ = fbs.create(s, unit, {"kind": "question", "text": "?", "phone": "13800138000"})
    fbs.assign(s, u["bob"], fb, "门诊部", handler=u["hank"])
    assert fbs.mask_phone(fb.phone) == "138****8000"
    assert fbs.sees_phone(u["sue"], fb) and fbs.sees_phone(u["hank"], fb)
    assert not fbs.sees_phone(u["bob"], fb) and not fbs.sees_phone(u["hal"], fb)
    assert not fbs.can_view(u["hal"], fb) and fbs.can_view(u["sue"], fb)


def test_badges_and_overdue_escalation(ctx, app):
    s, unit, u = ctx
    fb, _ = fbs.create(s, unit, {"kind": "suggestion", "text": "多设座椅"})
    due = fb.due_date
    assert fbs.badge(s, fb, on=CAL.add_working_days(due, -3)) is None
    assert fbs.badge(s, fb, on=CAL.add_working_days(due, -1)) == "due_soon"
    assert fbs.badge(s, fb, on=due) == "due_soon"
    assert fbs.badge(s, fb, on=due + timedelta(days=1)) == "overdue"
    assert fbs.escalate_overdue(s, unit, on=CAL.add_working_days(due, 3)) == []
    assert fbs.escalate_overdue(s, unit, on=CAL.add_working_days(due, 4)) == [fb]
    assert fb.escalated and fb.escalation_reason == "overdue"
    assert fbs.overdue_digest(s, unit, on=due + timedelta(days=1)) == {"—": [fb]}
    fbs.assign(s, u["bob"], fb, "后勤处")
    fbs.answer(s, u["hank"], fb, "已增设")
    assert fbs.badge(s, fb, on=due + timedelta(days=30)) is None


def test_days_per_type_are_configurable(ctx, app):
    s, unit, _ = ctx
    app.config["FEEDBACK_DAYS_BY_KIND"] = {"complaint": 3}
    fb, _ = fbs.create(s, unit, {"kind": "complaint", "text": "x"})
    assert fb.due_date == fbs.due_after(s, fb.received_at, 3)


def test_staff_escalation_needs_a_reason_and_happens_once(ctx):
    s, unit, u = ctx
    fb, _ = fbs.create(s, unit, {"kind": "complaint", "text": "x"}, channel="hotline", actor="bob")
    assert fb.channel == "hotline"
    with pytest.raises(ServiceError):
        fbs.escalate(s, u["bob"], fb, " ")
    fbs.escalate(s, u["bob"], fb, "涉及收红包")
    with pytest.raises(ServiceError) as exc:
        fbs.escalate(s, u["sue"], fb, "again")
    assert exc.value.status == 409
    assert fb in fbs.inbox(s, u["sue"], unit, "escalated")


def test_satisfaction_flags_units_under_80_percent(ctx):
    s, unit, u = ctx
    from server.screens.models import Device, DeviceEvent
    s.add(Device(id="dev1", kind="kiosk", screen_w=1080, screen_h=1920, status="active", pairing_code="X",
                 unit_id=unit.id, screen_code="SAAAAA", name="门诊大厅"))
    when = datetime(2026, 5, 10, 3, tzinfo=timezone.utc)
    for rating in ["satisfied"] * 6 + ["basic"] + ["unsatisfied"] * 3 + [3, 1]:
        s.add(DeviceEvent(device_id="dev1", type="rating", at=when,
                          data={"rating": rating, "category": "prices"}))
    s.commit()
    stats = sat.satisfaction(s, unit, "2026-05")
    screen = next(r for r in stats["rows"] if r["kind"] == "screen")
    assert (screen["satisfied"], screen["basic"], screen["unsatisfied"], screen["total"]) == (7, 1, 4, 12)
    assert screen["pct"] == 66.7 and screen["flag"] and stats["flagged"]
    assert sat.satisfaction(s, unit, "2026-06")["rows"] == []


def _request(s, unit):
    req, _ = rqs.create(s, unit, {"name": "李四", "id_type": "id_card", "id_number": "110101199001010015",
                                  "contact": "13900000000", "description": "2025 年设备采购情况",
                                  "delivery": "paper"})
    return req


def test_request_clock_correction_restarts_and_one_extension(ctx):
    s, unit, u = ctx
    req = _request(s, unit)
    start = fbs.today()
    assert req.due_date == CAL.add_working_days(start, 20)
    with pytest.raises(ServiceError) as exc:
        rqs.ask_correction(s, u["bob"], req, "请说明年份", on=CAL.add_working_days(start, 8))
    assert exc.value.code == "correction_late"
    rqs.ask_correction(s, u["bob"], req, "请说明具体设备名称")
    assert rqs.alert(s, req) is None
    later = date(2026, 9, 30)
    rqs.corrected(s, u["bob"], req, on=later)
    assert req.clock_start == later and req.due_date == CAL.add_working_days(later, 20)
    assert CAL.is_working_day(req.due_date)
    due = req.due_date
    with pytest.raises(ServiceError):
        rqs.extend(s, u["bob"], req, "")
    rqs.extend(s, u["bob"], req, "需征求第三方意见，延期 20 个工作日")
    assert req.due_date == CAL.add_working_days(due, 20)
    with pytest.raises(ServiceError) as exc:
        rqs.extend(s, u["bob"], req, "again")
    assert exc.value.status == 409
    assert rqs.alert(s, req, on=req.due_date) == "due_soon"
    assert rqs.alert(s, req, on=CAL.add_working_days(req.due_date, 1)) == "delayed"
    assert rqs.alert(s, req, on=CAL.add_working_days(req.due_date, 21)) == "long_overdue"


@pytest.mark.parametrize("answer_type, kwargs, field", [
    ("refused", {}, "answer_text"),
    ("partial", {}, "answer_text"),
    ("not_held", {"text": "不属于本院"}, "holder"),
    ("public", {}, "item"),
    ("maybe", {}, "answer_type"),
])
def test_request_answers_need_their_reasons(ctx, answer_type, kwargs, field):
    s, unit, u = ctx
    req = _request(s, unit)
    with pytest.raises(ServiceError) as exc:
        rqs.answer(s, u["bob"], req, answer_type, **kwargs)
    assert field in exc.value.fields


def test_request_answer_types_and_roles(ctx):
    s, unit, u = ctx
    req = _request(s, unit)
    with pytest.raises(ServiceError) as exc:
        rqs.answer(s, u["alice"], req, "provided")
    assert exc.value.status == 403
    rqs.answer(s, u["hank"], req, "not_held", "本院不掌握", holder="县卫生健康局")
    assert req.status == "answered" and req.holder == "县卫生健康局"
    rqs.close(s, u["bob"], req)
    assert [st.action for st in req.steps] == ["received", "answered", "closed"]


@pytest.mark.parametrize("field, value", [("name", ""), ("id_type", "licence"), ("delivery", "fax"),
                                          ("description", "x" * 2001), ("contact", "   ")])
def test_bad_requests_are_refused(ctx, field, value):
    s, unit, _ = ctx
    data = {"name": "王五", "id_type": "id_card", "id_number": "110101199001011237", "contact": "c", "description": "d",
            "delivery": "email", field: value}
    with pytest.raises(ServiceError) as exc:
        rqs.create(s, unit, data)
    assert field in exc.value.fields
