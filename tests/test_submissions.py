"""信息报送: a hospital sends a finished month's report to its bureau as a frozen snapshot; the bureau
sees on time / late / overdue / open / not due per month and member, and reads each report (HTML, PDF
read back with pypdfium2). Every refusal, and who may call each new route (API and staff UI)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pypdfium2 as pdfium
import pytest

from conftest import PASSWORD
from server import db
from server.instance import add_unit, create_user, find_unit
from server.models import User
from server.oversight import submissions
from server.oversight.compliance import months_back
from server.oversight.models import ReportSubmission
from server.oversight.snapshot import freeze, thaw
from server.workdays import calendar_for, local_zone
from test_admin import Staff

from sqlalchemy import select


def bureau_world(app) -> None:
    """B01 over H001 and H002 (chief: supervisor, office: reviewer there); B02 with its own chief
    and member H004; H003 has no bureau (lone: its reviewer)."""
    with app.app_context():
        s = db.session()
        b1 = add_unit(s, "B01", "县卫生健康局", kind="bureau")
        b2 = add_unit(s, "B02", "邻县卫生健康局", kind="bureau")
        find_unit(s, "H001").parent = b1
        find_unit(s, "H002").parent = b1
        add_unit(s, "H003", "独立门诊部")
        add_unit(s, "H004", "邻县医院", parent=b2)
        create_user(s, "chief", PASSWORD, ["supervisor"], b1)
        create_user(s, "office", PASSWORD, ["reviewer"], b1)
        create_user(s, "chief2", PASSWORD, ["supervisor"], b2)
        create_user(s, "lone", PASSWORD, ["reviewer"], find_unit(s, "H003"))
        s.commit()


@pytest.fixture
def world(app):
    bureau_world(app)
    return app


def today() -> date:
    """The local date as the server counts it (TIMEZONE_OFFSET_HOURS is 8 in the tests)."""
    return datetime.now(timezone(timedelta(hours=8))).date()


def last_month() -> str:
    return months_back(f"{today():%Y-%m}", 2)[0]


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))


# --- the snapshot ------------------------------------------------------------------------------------

def test_freeze_and_thaw_give_back_the_report(world):
    with world.app_context():
        from server.oversight import monthly_report
        s = db.session()
        report = monthly_report.build(s, find_unit(s, "H001"), last_month(), today())
        frozen = freeze(report)
        import json
        assert thaw(json.loads(json.dumps(frozen)))["as_of"] == report["as_of"]
        assert thaw(frozen)["unit"].name == "第一人民医院"
        with pytest.raises(TypeError):
            freeze({"when": datetime.now()})
        with pytest.raises(TypeError):
            freeze({"what": object()})


def test_a_sent_report_keeps_its_figures_when_the_data_changes(world, api):
    """Sent for this month with `today` the first of next month: later publications do not change it."""
    first = api.create(title="CT 检查价格调整")
    api.publish(first["id"])
    month, next_first = f"{today():%Y-%m}", (today().replace(day=28) + timedelta(days=4)).replace(day=1)
    with world.app_context():
        s = db.session()
        row = submissions.submit(s, s.scalar(select(User).where(User.username == "bob")), find_unit(s, "H001"),
                                 month, next_first)
        sent_id = row.id
        assert row.bureau.code == "B01" and row.snapshot["disclosed_total"] == 1
    second = api.create(title="磁共振检查价格")
    api.publish(second["id"])
    with world.app_context():
        from server.oversight import monthly_report
        s = db.session()
        assert monthly_report.build(s, find_unit(s, "H001"), month, next_first)["disclosed_total"] == 2
    sent = api.call("GET", f"/submissions/{sent_id}", "chief").get_json()
    assert sent["report"]["disclosed_total"] == 1 and sent["month"] == month
    assert "CT 检查价格调整" in str(sent["report"]) and "磁共振" not in str(sent["report"])
    assert sent["report"]["unit"]["code"] == "H001" and sent["submitted_by"] == "bob"
    chief = Staff(world, "chief")
    page = chief.get(f"/admin/compliance/submissions/{sent_id}")
    assert page.status_code == 200 and "CT 检查价格调整" in page.text and "磁共振" not in page.text
    assert 'id="frozen"' in page.text
    pdf = chief.get(f"/admin/compliance/submissions/{sent_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "公开监督月报" in text and "CT 检查价格调整" in text and "磁共振" not in text
    assert "报送" in text and "县卫生健康局" in text           # who sent it to whom, under the title


# --- states, with a fixed today ---------------------------------------------------------------------

def test_overview_states_on_a_fixed_day(world):
    with world.app_context():
        s = db.session()
        cal = calendar_for(s)
        h1, h2, b1 = find_unit(s, "H001"), find_unit(s, "H002"), find_unit(s, "B01")
        bob = s.scalar(select(User).where(User.username == "bob"))
        zed = s.scalar(select(User).where(User.username == "zed"))
        chief = s.scalar(select(User).where(User.username == "chief"))
        jan, feb = "2027-01", "2027-02"
        due_jan, due_feb = submissions.due_date(jan, cal), submissions.due_date(feb, cal)
        assert cal.working_days_between(date(2027, 1, 31), due_jan) == 5 and cal.is_working_day(due_jan)

        def at(day: date, hour: int = 10) -> datetime:
            return datetime.combine(day, time(hour), tzinfo=local_zone())
        later = due_feb + timedelta(days=3)
        submissions.submit(s, bob, h1, jan, later, at=at(due_jan, 17))                 # on the due day
        submissions.submit(s, zed, h2, jan, later, at=at(due_jan + timedelta(days=1), 9))   # a day late
        submissions.submit(s, bob, h1, feb, later, at=at(due_feb - timedelta(days=2)))  # on time …
        submissions.submit(s, bob, h1, feb, later, at=at(later))                        # … then again
        board = submissions.overview(s, chief, b1, later, 3)
        assert board["months"] == ["2027-03", feb, jan]
        states = {(line["unit"].code, c["month"]): c for line in board["units"] for c in line["cells"]}
        assert [line["unit"].code for line in board["units"]] == ["H001", "H002"]
        assert states[("H001", jan)]["state"] == "on_time"
        assert states[("H002", jan)]["state"] == "late"
        assert states[("H001", feb)]["state"] == "on_time" and states[("H001", feb)]["count"] == 2
        assert states[("H001", feb)]["latest"].id > states[("H001", feb)]["first"].id
        assert states[("H002", feb)]["state"] == "overdue"
        this = f"{later:%Y-%m}"
        assert states[("H002", this)]["state"] == "not_due"
        assert board["counts"]["overdue"] == 1 and board["counts"]["late"] == 1
        early = submissions.overview(s, chief, b1, due_feb, 3)      # on the due day itself: still open
        cells = {(line["unit"].code, c["month"]): c["state"] for line in early["units"] for c in line["cells"]}
        assert cells[("H002", feb)] == "open"
        assert [(r["month"], r["state"]) for r in submissions.late_for_unit(s, h2, later, 3)] == \
            [(jan, "late"), (feb, "overdue")]
        assert submissions.late_for_unit(s, h1, later, 3) == []
        day_after = submissions.overview(s, chief, b1, due_feb + timedelta(days=1), 3)
        cells = {(line["unit"].code, c["month"]): c["state"] for line in day_after["units"] for c in line["cells"]}
        assert cells[("H002", feb)] == "overdue"


def test_months_before_the_first_month_are_not_owed(world):
    """REPORT_FIRST_MONTH: a month before it that was not sent is 未启用 (not 逾期未报); one that was
    sent keeps its state; from the first month on, the rule is the usual one."""
    with world.app_context():
        s = db.session()
        cal = calendar_for(s)
        h1, h2, b1 = find_unit(s, "H001"), find_unit(s, "H002"), find_unit(s, "B01")
        bob = s.scalar(select(User).where(User.username == "bob"))
        chief = s.scalar(select(User).where(User.username == "chief"))
        jan, feb = "2027-01", "2027-02"
        later = submissions.due_date(feb, cal) + timedelta(days=3)
        submissions.submit(s, bob, h1, jan, later, at=datetime.combine(submissions.due_date(jan, cal), time(9),
                                                                         tzinfo=local_zone()))
        world.config["REPORT_FIRST_MONTH"] = feb
        try:
            board = submissions.overview(s, chief, b1, later, 3)
            states = {(line["unit"].code, c["month"]): c["state"] for line in board["units"] for c in line["cells"]}
            assert states[("H002", jan)] == "before" and states[("H001", jan)] == "on_time"
            assert states[("H002", feb)] == "overdue" and states[("H001", feb)] == "overdue"
            assert board["counts"]["before"] == 1 and board["counts"]["overdue"] == 2
            assert [r["month"] for r in submissions.late_for_unit(s, h2, later, 3)] == [feb]
        finally:
            world.config["REPORT_FIRST_MONTH"] = ""
        board = submissions.overview(s, chief, b1, later, 3)
        states = {(line["unit"].code, c["month"]): c["state"] for line in board["units"] for c in line["cells"]}
        assert states[("H002", jan)] == "overdue"


def test_the_due_day_follows_the_setting(world):
    with world.app_context():
        cal = calendar_for(db.session())
        world.config["REPORT_DUE_WORKDAYS"] = 2
        two = submissions.due_date("2027-05", cal)
        world.config["REPORT_DUE_WORKDAYS"] = 7
        seven = submissions.due_date("2027-05", cal)
        assert cal.working_days_between(two, seven) == 5


# --- the API: sending and its refusals ---------------------------------------------------------------

def test_send_through_the_api_and_resend_keeps_history(world, api):
    month = last_month()
    first = api.call("POST", f"/reports/{month}/submission", "bob")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["bureau"] == "B01" and body["state"]["state"] in ("on_time", "late")
    again = api.call("POST", f"/reports/{month}/submission", "sue").get_json()
    assert again["id"] != body["id"] and [h["id"] for h in again["history"]] == [body["id"], again["id"]]
    state = api.call("GET", f"/reports/{month}/submission", "bob").get_json()
    assert state["count"] == 2 and state["latest"]["id"] == again["id"] and state["first"]["id"] == body["id"]
    now = api.call("GET", f"/reports/{today():%Y-%m}/submission", "bob").get_json()
    assert now["state"] == "not_due" and now["latest"] is None
    overview = api.call("GET", "/submissions?unit=B01&months=2", "chief").get_json()
    cell = next(c for u in overview["units"] if u["unit"] == "H001" for c in u["cells"] if c["month"] == month)
    assert cell["count"] == 2 and overview["months"] == [f"{today():%Y-%m}", month]


def test_a_bad_month_is_422_naming_month(world, api):
    for month in ("2026-13", "abc", "2026-1", "1999-12", "9999-01", "2026-00", "%3Cb%3E"):
        for method in ("POST", "GET"):
            resp = api.call(method, f"/reports/{month}/submission", "bob")
            assert resp.status_code == 422, (month, method, resp.get_json())
            assert "月份无效" in resp.get_json()["fields"]["month"]


def test_the_current_or_a_future_month_is_refused(world, api):
    nxt = months_back(f"{today().year + 1:04d}-01", 1)[0]
    for month in (f"{today():%Y-%m}", nxt):
        resp = api.call("POST", f"/reports/{month}/submission", "bob")
        assert resp.status_code == 409 and "月份尚未结束" in resp.get_json()["error"], resp.get_json()
    english = api.call("POST", f"/reports/{today():%Y-%m}/submission", "bob", headers={"Accept-Language": "en"})
    assert "has not ended" in english.get_json()["error"]


def test_who_may_send(world, api):
    month = last_month()
    assert api.call("POST", f"/reports/{month}/submission").status_code == 401
    assert api.call("POST", f"/reports/{month}/submission", "alice").status_code == 403      # contributor
    assert api.call("POST", f"/reports/{month}/submission?unit=H002", "bob").status_code == 403  # not his unit
    carried = api.call("POST", f"/reports/{month}/submission?unit=H001", "chief")   # bureau supervisor
    assert carried.status_code == 403 and "本单位" in carried.get_json()["error"]
    lone = api.call("POST", f"/reports/{month}/submission", "lone")
    assert lone.status_code == 409 and "没有上级主管部门" in lone.get_json()["error"]
    assert api.call("POST", f"/reports/{month}/submission", "zed").status_code == 201       # H002's reviewer
    assert api.call("GET", f"/reports/{month}/submission", "alice").status_code == 403
    assert api.call("GET", f"/reports/{month}/submission").status_code == 401
    with world.app_context():
        assert db.session().scalar(select(ReportSubmission.unit_id).where(ReportSubmission.id == 1)) \
            == find_unit(db.session(), "H002").id


def test_who_may_read(world, api):
    sent = api.call("POST", f"/reports/{last_month()}/submission", "bob").get_json()["id"]
    path = f"/submissions/{sent}"
    assert api.call("GET", path).status_code == 401
    for user in ("bob", "sue", "chief"):
        assert api.call("GET", path, user).status_code == 200, user
    for user in ("alice", "zed", "chief2", "office", "lone"):   # contributor, other hospital, other bureau…
        assert api.call("GET", path, user).status_code == 404, user
    assert api.call("GET", "/submissions/999999", "chief").status_code == 404
    assert api.call("GET", "/submissions?unit=B01", "chief").status_code == 200
    assert api.call("GET", "/submissions?unit=B01", "office").status_code == 403      # bureau reviewer
    assert api.call("GET", "/submissions?unit=B01", "chief2").status_code == 403      # not his bureau
    own = api.call("GET", "/submissions?unit=B02", "chief2").get_json()
    assert [u["unit"] for u in own["units"]] == ["H004"]
    not_bureau = api.call("GET", "/submissions?unit=H001", "bob")
    assert not_bureau.status_code == 409 and "主管部门" in not_bureau.get_json()["error"]
    for months in ("0", "25", "x", "-1"):
        resp = api.call("GET", f"/submissions?unit=B01&months={months}", "chief")
        assert resp.status_code == 422 and "months" in resp.get_json()["fields"]
    assert api.call("GET", "/submissions").status_code == 401


# --- the staff UI -----------------------------------------------------------------------------------

def test_the_report_page_sends_and_shows_the_state(world):
    month = last_month()
    bob = Staff(world, "bob")
    dash = bob.get("/admin/compliance")
    assert 'id="sending-reminder"' in dash.text and "去报送" in dash.text and f"{month} 月报" in dash.text
    assert 'id="sending-reminder"' not in Staff(world, "lone").get("/admin/compliance").text   # no bureau
    page = bob.get(f"/admin/compliance/report?month={month}")
    assert page.status_code == 200 and 'id="send-report"' in page.text and "报送主管部门" in page.text
    assert "截止" in page.text
    sent = bob.post("/admin/compliance/report/submit", {"month": month})
    assert sent.status_code == 302 and f"month={month}" in sent.headers["Location"]
    page = bob.get(f"/admin/compliance/report?month={month}")
    assert "已报送" in page.text and "重新报送" in page.text and "已将" in page.text
    assert "去报送" not in bob.get("/admin/compliance").text
    current = bob.get("/admin/compliance/report")
    assert 'id="send-report"' not in current.text and "未到报送期" in current.text
    refused = bob.post("/admin/compliance/report/submit", {"month": f"{today():%Y-%m}"})
    assert refused.status_code == 409 and "月份尚未结束" in refused.text
    bad = bob.post("/admin/compliance/report/submit", {"month": "<b>x"})
    assert bad.status_code == 422 and "月份无效" in bad.text and "<b>x" not in bad.text
    chief = Staff(world, "chief")
    as_bureau = chief.get(f"/admin/compliance/report?month={month}&unit=H001")
    assert as_bureau.status_code == 200 and 'id="send-report"' not in as_bureau.text
    assert chief.post("/admin/compliance/report/submit?unit=H001", {"month": month}).status_code == 403
    assert Staff(world, "alice").post("/admin/compliance/report/submit", {"month": month}).status_code == 403
    assert bob.post("/admin/compliance/report/submit?unit=H002", {"month": month}).status_code == 403
    assert bob.post("/admin/compliance/report/submit", {"month": month}, csrf=False).status_code == 400
    lone = Staff(world, "lone").get(f"/admin/compliance/report?month={month}")
    assert "月报无需报送" in lone.text and 'id="send-report"' not in lone.text


def test_the_bureau_overview_page_and_who_sees_it(world):
    month = last_month()
    Staff(world, "bob").post("/admin/compliance/report/submit", {"month": month})
    chief = Staff(world, "chief")
    dash = chief.get("/admin/compliance?unit=B01")
    assert 'id="submissions-link"' in dash.text
    page = chief.get("/admin/compliance/submissions?unit=B01")
    assert page.status_code == 200
    assert f'data-unit="H001" data-month="{month}" data-state="on_time"' in page.text \
        or f'data-unit="H001" data-month="{month}" data-state="late"' in page.text
    assert f'data-unit="H002" data-month="{month}" data-state="' in page.text
    assert f'data-unit="H001" data-month="{today():%Y-%m}" data-state="not_due"' in page.text
    assert chief.get("/admin/compliance/submissions?unit=B01&months=junk").status_code == 200
    with world.app_context():
        sent = db.session().scalar(select(ReportSubmission.id))
    assert chief.get(f"/admin/compliance/submissions/{sent}").status_code == 200
    assert Staff(world, "office").get("/admin/compliance/submissions?unit=B01").status_code == 403
    assert Staff(world, "bob").get("/admin/compliance/submissions").status_code == 409
    assert Staff(world, "bob").get(f"/admin/compliance/submissions/{sent}").status_code == 200
    for user in ("zed", "chief2", "alice", "office"):
        person = Staff(world, user)
        assert person.get(f"/admin/compliance/submissions/{sent}").status_code == 404, user
        assert person.get(f"/admin/compliance/submissions/{sent}.pdf").status_code == 404, user
    anonymous = Staff(world)
    for path in ("/admin/compliance/submissions", f"/admin/compliance/submissions/{sent}",
                 f"/admin/compliance/submissions/{sent}.pdf"):
        assert anonymous.get(path).status_code == 302          # to the login page
    assert anonymous.post("/admin/compliance/report/submit", {"month": month}, csrf=False).status_code in (302, 400)


def test_an_older_sending_says_so(world):
    month = last_month()
    bob = Staff(world, "bob")
    bob.post("/admin/compliance/report/submit", {"month": month})
    bob.post("/admin/compliance/report/submit", {"month": month})
    with world.app_context():
        first, second = db.session().scalars(select(ReportSubmission.id).order_by(ReportSubmission.id)).all()
    old = bob.get(f"/admin/compliance/submissions/{first}")
    assert "较早的一次报送" in old.text and f"/admin/compliance/submissions/{second}" in old.text
    assert "较早的一次报送" not in bob.get(f"/admin/compliance/submissions/{second}").text


# --- PostgreSQL: the storing path --------------------------------------------------------------------

def test_sending_and_reading_on_postgres(pg_app):
    bureau_world(pg_app)
    month = last_month()
    with pg_app.app_context():
        s = db.session()
        bob = s.scalar(select(User).where(User.username == "bob"))
        chief = s.scalar(select(User).where(User.username == "chief"))
        row = submissions.submit(s, bob, find_unit(s, "H001"), month, today())
        sent = submissions.load(s, chief, row.id)
        assert thaw(sent.snapshot)["unit"].code == "H001" and sent.month == month
        board = submissions.overview(s, chief, find_unit(s, "B01"), today(), 2)
        assert board["units"][0]["cells"][1]["latest"].id == row.id
