"""公开监督 over a real instance: a 定期 category overdue, a revision stuck in review past its 变更 deadline,
an overdue feedback; who may see the dashboard (bureau supervisors see member units); the monthly
report as HTML, PDF (text extracted with pypdfium2) and from the command line; the SVG charts."""
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from browsing import ARTIFACTS
from conftest import PASSWORD
from content.duedates import periodic_status
from content.model import TimeRule
from server import db
from server.oversight import compliance
from server.hearing import feedback as fbs
from server.oversight import monthly_report
from server.instance import add_unit, create_user, find_unit
from server.models import Category, Item
from server.oversight.svgcharts import bar_chart, line_chart
from server.workdays import calendar_for
from test_admin import Staff

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

ROOT = Path(__file__).resolve().parent.parent
CST = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 23)  # a Monday
SVG = "{http://www.w3.org/2000/svg}"


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=CST)


@pytest.fixture
def world(app, api):
    """H001 with: 医疗质量评价 published 2026-11-03 (quarter met); 医疗费用水平 made monthly by the 5th
    and never published; a 价格 item submitted 2026-11-10 (created 2026-10-01) and left there;
    a complaint due 2026-11-16 still open. Returns ids and names the tests look for."""
    published = api.create(category="quality-evaluation", title="第三季度医疗质量评价")
    api.publish(published["id"])
    stuck = api.create(category="prices", title="CT 检查价格调整")
    assert api.act(stuck["id"], "submit", "alice").status_code == 200
    with app.test_request_context():
        s = db.session()
        unit = find_unit(s, "H001")
        rev = s.get(Item, published["id"]).revisions[-1]
        rev.published_at = rev.window_start = at(2026, 11, 3)
        rev = s.get(Item, stuck["id"]).revisions[-1]
        rev.created_at = at(2026, 10, 1)
        rev.decisions[-1].at = at(2026, 11, 10)
        costs = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "average-costs"))
        costs.time_rule = {"kind": "periodic", "period": "month", "due_day": 5}
        fb, _ = fbs.create(s, unit, {"kind": "complaint", "text": "收费窗口排队太久"})
        fb.received_at, fb.due_date = at(2026, 11, 5), date(2026, 11, 16)
        fb.department, fb.status = "门诊部", "assigned"
        s.commit()
        return {"published": published["id"], "stuck": stuck["id"], "feedback": fb.code,
                "costs_owner": costs.owner, "prices_owner": s.get(Item, stuck["id"]).category.owner}


def test_dashboard_rows_on_a_fixed_day(app, world):
    with app.test_request_context():
        s = db.session()
        board = compliance.dashboard(s, find_unit(s, "H001"), today=TODAY, now=at(2026, 11, 23))
    periodic = {r["category"].key: r["status"] for r in board["periodic"]}
    assert periodic["average-costs"].state == "overdue"
    assert periodic["average-costs"].due == date(2026, 11, 5)
    assert periodic["average-costs"].late_days == 12          # Nov 6 … Nov 23, working days
    assert periodic["quality-evaluation"].state == "met"
    assert periodic["quality-evaluation"].next_due == date(2027, 1, 11)  # the 10th is a Sunday
    assert periodic["operations"].state == "overdue"          # quarterly, nothing this quarter
    [stuck] = board["stuck"]
    assert stuck["item"].id == world["stuck"] and stuck["waited"] == 9
    [change] = board["disclosure"]
    assert change["item"].id == world["stuck"]
    assert change["status"].due == date(2026, 11, 3) and change["status"].late_days == 14
    [late_fb] = board["feedback"]
    assert late_fb["feedback"].code == world["feedback"] and late_fb["badge"] == "overdue"
    departments = {d["department"]: d for d in board["departments"]}
    assert departments[world["prices_owner"]]["stuck"] == 1
    assert departments[world["costs_owner"]]["periodic_overdue"] >= 1
    assert departments["门诊部"]["feedback_overdue"] == 1
    assert board["totals"]["stuck"] == 1 and board["totals"]["feedback_overdue"] == 1


def test_monthly_series_for_the_charts(app, world):
    with app.test_request_context():
        s = db.session()
        series = compliance.monthly_series(s, find_unit(s, "H001"), "2026-11")
    assert series["months"][0] == "2025-12" and series["months"][-1] == "2026-11"
    assert sum(sum(v) for v in series["published"].values()) == 1
    assert [sum(col) for col in zip(*series["published"].values())][-1] == 1
    assert series["on_time_pct"][-1] == 100.0 and series["on_time_pct"][0] is None
    assert series["feedback"][-1] == 1 and sum(series["feedback"]) == 1
    assert compliance.months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_publicity_window_running(app, api):
    notice = api.create(category="notices", title="关于调整门诊时间的公示")
    api.publish(notice["id"])
    with app.test_request_context():
        s = db.session()
        board = compliance.dashboard(s, find_unit(s, "H001"))
    [row] = board["publicity"]
    assert row["item"].id == notice["id"]
    assert 1 <= row["left"] <= 5 and row["end"] == row["revision"].window_end


def test_nothing_stuck_within_the_setting(app, world):
    app.config["COMPLIANCE_STUCK_DAYS"] = 9
    with app.test_request_context():
        s = db.session()
        board = compliance.dashboard(s, find_unit(s, "H001"), today=TODAY, now=at(2026, 11, 23))
    assert board["stuck"] == []


def test_dashboard_page_for_the_supervisor(app, world):
    page = Staff(app, "sue").get("/admin/compliance")
    assert page.status_code == 200
    html = page.text
    assert "公开监督" in html and "CT 检查价格调整" in html and world["feedback"] in html
    assert html.count("<svg") == 4 and "<title" in html and "<script" not in html
    assert "每月公开事项" in html and "满意率趋势" in html
    with app.test_request_context():
        s = db.session()
        cat = s.scalar(select(Category).where(Category.unit_id == find_unit(s, "H001").id,
                                              Category.key == "average-costs"))
        today = fbs.today()
        expected = periodic_status(TimeRule.from_dict(cat.time_rule), [], today, 5, calendar_for(s)).state
    row = html.split('id="p-average-costs"')[1].split("</tr>")[0]
    assert f"st-{expected}" in row
    assert 'href="/admin/compliance"' in Staff(app, "bob").get("/admin/").text  # the nav link


@pytest.mark.parametrize("user, status", [("alice", 403), ("root", 403), ("dan", 403),
                                          ("bob", 200), ("sue", 200)])
def test_who_may_see_it(app, user, status):
    staff = Staff(app, user)
    for path in ("/admin/compliance", "/admin/compliance/report?month=2026-10",
                 "/admin/compliance/report.pdf?month=2026-10"):
        assert staff.get(path).status_code == status, path
    if status == 403:
        assert "权限" in staff.get("/admin/compliance").text
        assert 'href="/admin/compliance"' not in staff.get("/admin/").text


def test_bureau_supervisor_sees_member_units(app):
    with app.app_context():
        s = db.session()
        bureau = add_unit(s, "B01", "县卫生健康局", kind="bureau")
        find_unit(s, "H001").parent = bureau
        create_user(s, "chief", PASSWORD, ["supervisor"], bureau)
        create_user(s, "office", PASSWORD, ["reviewer"], bureau)
        s.commit()
    chief = Staff(app, "chief")
    own = chief.get("/admin/compliance?unit=B01")
    assert own.status_code == 200 and "下属单位" in own.text and "第一人民医院" in own.text
    assert "/admin/compliance?unit=H001" in own.text
    member = chief.get("/admin/compliance?unit=H001")
    assert member.status_code == 200 and "第一人民医院" in member.text
    assert chief.get("/admin/compliance?unit=H002").status_code == 403   # not a member
    office = Staff(app, "office")
    assert office.get("/admin/compliance?unit=B01").status_code == 200
    assert "下属单位" not in office.get("/admin/compliance?unit=B01").text  # reviewers do not carry down
    assert office.get("/admin/compliance?unit=H001").status_code == 403


@pytest.mark.parametrize("month, words", [("2026-13", "月份无效"), ("26-11", "月份无效"),
                                          ("<b>x</b>", "月份无效"), ("1999-12", "月份无效"),
                                          ("2999-01", "尚未到来")])
def test_bad_month_is_a_readable_400(app, month, words):
    sue = Staff(app, "sue")
    for path in ("/admin/compliance/report", "/admin/compliance/report.pdf"):
        resp = sue.get(path, query_string={"month": month})
        assert resp.status_code == 400 and words in resp.text and "<b>x" not in resp.text
    english = sue.get("/admin/compliance/report", query_string={"month": month, "lang": "en"})
    assert english.status_code == 400
    assert ("Invalid month" if words == "月份无效" else "has not begun") in english.text


def test_monthly_report_html(app, world):
    page = Staff(app, "sue").get("/admin/compliance/report?month=2026-11")
    assert page.status_code == 200
    html = page.text
    assert "2026-11 公开监督月报" in html and "第三季度医疗质量评价" in html
    assert "CT 检查价格调整" in html and "尚未公开" in html          # late change, still unpublished
    assert "医疗费用水平" in html                                   # monthly period missed
    assert "监督人签字" in html and "@media print" in html


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))


def test_monthly_report_pdf_has_chinese_and_the_figures(app, world):
    resp = Staff(app, "sue").get("/admin/compliance/report.pdf?month=2026-11")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "gongkai-report-H001-2026-11.pdf" in resp.headers["Content-Disposition"]
    text = pdf_text(resp.data)
    ARTIFACTS.mkdir(exist_ok=True)
    pdfium.PdfDocument(resp.data)[0].render(scale=1.5).to_pil().save(ARTIFACTS / "compliance_report_pdf.png")
    for heading in ("公开监督月报", "一、本月公开情况", "二、逾期情况", "三、反馈与依申请公开办理", "四、满意度评议"):
        assert heading in text
    assert "第三季度医疗质量评价" in text and "CT 检查价格调整" in text and "医疗费用水平" in text
    with app.test_request_context():
        s = db.session()
        report = monthly_report.build(s, find_unit(s, "H001"), "2026-11", max(fbs.today(), TODAY))
    assert report["feedback"]["received"] == 1 and report["feedback"]["overdue"] == 1
    assert report["disclosed_total"] == 1
    compact = text.replace("\r", "").replace("\n", "")
    assert f"本月公开 {report['disclosed_total']} 项" in compact
    late = {r["id"]: r for r in report["late_changes"]}
    assert late[world["stuck"]]["deadline"] == date(2026, 11, 3)
    assert f"逾期 {late[world['stuck']]['late_days']} 个工作日" in compact


def cli(*args):
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_monthly_report_command(app, world, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GONGKAI_DATABASE_URL", app.config["DATABASE_URL"])  # the test app's database
    app.extensions["gongkai.engine"].dispose()
    out = tmp_path / "report.pdf"
    ok = cli("monthly-report", "--month", "2026-11", "--unit", "H001", "--out", str(out),
             "--instance", app.instance_path)
    assert ok.returncode == 0, ok.stderr
    assert "H001 2026-11: 1 disclosed" in ok.stdout
    assert "第三季度医疗质量评价" in pdf_text(out.read_bytes())
    # the bad paths through the same entry point, in this process (a subprocess costs seconds)
    from server.__main__ import main
    for args, words in [(["--month", "2026-1", "--unit", "H001"], "月份无效"),
                        (["--month", "2999-01", "--unit", "H001"], "尚未到来"),
                        (["--month", "2026-11", "--unit", "NOPE"], "NOPE")]:
        target = tmp_path / "x.pdf"
        code = main(["monthly-report", *args, "--out", str(target), "--instance", app.instance_path])
        err = capsys.readouterr().err
        assert code == 2 and words in err and "Traceback" not in err
        assert not target.exists()
    code = main(["monthly-report", "--month", "2026-11", "--unit", "H001", "--out",
                 str(tmp_path / "no-such-dir" / "r.pdf"), "--instance", app.instance_path])
    assert code == 2 and "cannot write" in capsys.readouterr().err


# --- the SVG charts ------------------------------------------------------------------------------

def test_bar_chart_is_valid_svg_with_title_desc_and_proportional_bars():
    svg = str(bar_chart("每月公开事项", ["1月", "2月"], {"对外": [2, 4], "对内": [0, 2]}, "事项数"))
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "每月公开事项" and "对外：1月 2，2月 4" in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == pytest.approx(heights[0])
    assert {t.text for t in root.iter(f"{SVG}text")} >= {"事项数", "1月", "2月", "对外", "对内"}


def test_line_chart_leaves_gaps_and_draws_the_reference():
    svg = str(line_chart("满意率趋势", ["1月", "2月", "3月", "4月"], {"满意率": [90, None, 70, 75]},
                         "百分比", unit="%", top=100, reference=80, reference_label="80% 整改线"))
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert len(list(root.iter(f"{SVG}polyline"))) == 1       # 3月–4月 only; 1月 stands alone
    assert any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line"))
    assert "80% 整改线" in svg and "<script" not in svg


def test_chart_text_is_escaped():
    svg = str(bar_chart("<script>alert(1)</script>", ["a&b"], {"x": [1]}, "y"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


@pytest.mark.parametrize("value", [0, 1, 3, 5, 9, 10, 37, 100, 999])
def test_count_axes_have_whole_number_steps(value):
    from server.oversight.svgcharts import nice_max
    top = nice_max(value, integer=True)
    assert top >= value and top % 4 == 0 and top <= max(4, 2.5 * value)


def test_the_monthly_report_opens_on_this_month_to_date(app):
    from server.hearing.feedback import today
    with app.test_request_context():
        now = today()
    page = Staff(app, "sue").get("/admin/compliance/report")
    assert page.status_code == 200 and f'name="month" value="{now:%Y-%m}"' in page.text
    assert now.isoformat() in page.text.split('id="summary"')[1].split("</p>")[0]   # "截至 <today>"
    dashboard = Staff(app, "sue").get("/admin/compliance").text
    assert f'name="month" value="{now:%Y-%m}"' in dashboard
