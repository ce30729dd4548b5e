"""Staff pages added for issue 6 in real headless Chromium, with axe-core in the same browser:
entering a 依申请公开 request that came by letter, and the daily overdue digest page."""
import shutil
from datetime import date, datetime, timedelta, timezone

import pytest

from browsing import ARTIFACTS, served
from conftest import PASSWORD
from server import create_app, db
from server.hearing import feedback as fbs
from server.hearing import sla_jobs
from server.instance import create_user, find_unit
import test_public_browser
from test_public_browser import axe, login

browser = test_public_browser.browser  # the real-Chromium fixture, shared


@pytest.fixture
def live(template_instance, tmp_path):
    """The app with a handler and one digest already written (an overdue complaint of 门诊部)."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "browser-test"}, instance_path=str(instance))
    with app.test_request_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "hank", PASSWORD, ["handler"], unit)
        fb, _ = fbs.create(s, unit, {"kind": "complaint", "text": "挂号窗口排队超过一小时"})
        fb.due_date, fb.department, fb.status = date(2026, 9, 28), "门诊部", "assigned"
        s.commit()
        sla_jobs.run_daily(datetime(2026, 10, 12, 1, 0, tzinfo=timezone.utc) + timedelta(0))
    with served(app) as url:
        yield url


def test_staff_enter_a_request_and_read_the_digest(live, browser):
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    desk.set_default_timeout(15000)
    login(desk, live, "hank")
    desk.goto(f"{live}/admin/requests")
    desk.click("text=登记依申请公开")
    desk.select_option("select[name=channel]", "letter")
    desk.fill("input[name=name]", "王五")
    desk.select_option("select[name=id_type]", "id_card")
    desk.fill("input[name=id_number]", "330102199001011234")
    desk.fill("input[name=contact]", "杭州市上城区解放路 1 号")
    desk.fill("textarea[name=description]", "2025 年度大型医用设备采购情况")
    desk.select_option("select[name=delivery]", "paper")
    assert axe(desk) == []
    desk.screenshot(path=str(ARTIFACTS / "request_new_form.png"), full_page=True)
    desk.click("form.rq-new button[type=submit]")
    desk.wait_for_selector(".flash")
    text = desk.inner_text("main")
    assert "SQ-" in text and "来信" in text and "330****1234" in text and "纸质邮寄" in text
    assert axe(desk) == []
    desk.screenshot(path=str(ARTIFACTS / "request_entered_by_staff.png"), full_page=True)
    desk.click("header form button")

    login(desk, live, "bob")
    desk.goto(f"{live}/admin/feedback")
    desk.click("text=每日超期汇总")
    text = desk.inner_text("main")
    assert "2026-10-12" in text and "门诊部" in text and "挂号窗口排队超过一小时" in text
    assert axe(desk) == []
    desk.screenshot(path=str(ARTIFACTS / "feedback_digests.png"), full_page=True)
