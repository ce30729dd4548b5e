"""公开承诺 in a real headless Chromium against the real app on a local port: a contributor creates a
commitment and a 践诺 update by filling the forms, the public rates it (评诺) on the 320 px phone form,
a supervisor opens the 台账; axe-core finds zero violations on each page. Screenshots go to
tests/artifacts/. Approvals go through the JSON API (the admin browser tests click through those)."""
import shutil

import pytest

import test_public_browser
from browsing import ARTIFACTS, served
from conftest import Api
from server import create_app, db
from server.hearing.models import FeedbackPoint
from server.instance import find_unit
from test_public_browser import axe, login

browser = test_public_browser.browser  # the real-Chromium fixture (with the axe-core check), shared

FLOW = [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")]


@pytest.fixture
def live(template_instance, tmp_path):
    """The app with a QR location code BOX1, served by werkzeug in a thread; plus an API helper."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "browser-test"}, instance_path=str(instance))
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="党员活动室"))
        s.commit()
    with served(app) as url:
        yield url, Api(app.test_client())


def approve(api, item_id, steps=FLOW):
    for action, user in steps:
        resp = api.act(item_id, action, user)
        assert resp.status_code == 200, (action, resp.get_json())


def test_commitment_from_form_to_phone_rating_and_ledger(live, browser):
    base, api = live
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    desk.set_default_timeout(15000)
    login(desk, base, "alice")
    desk.click("nav.tabs >> text=公开承诺")
    desk.click("text=新建承诺")
    desk.fill("input[name=title]", "内科党支部：门诊候诊时间缩短到 30 分钟以内")
    desk.check("input[name=committer_kind][value=party_branch]")
    desk.fill("input[name=committer]", "内科党支部")
    desk.fill("textarea[name=pledge]", "党员带头推行分时段预约，年内平均候诊时间缩短到 30 分钟以内。")
    desk.fill("input[name=due_date]", "2026-12-31")
    assert axe(desk) == []
    desk.screenshot(path=str(ARTIFACTS / "commitment_new.png"), full_page=True)
    desk.click("button.primary")
    desk.wait_for_selector(".cm-head")
    assert "承诺尚未公开" in desk.inner_text("aside")
    commitment_url = desk.url
    desk.click("aside >> text=去办理")
    desk.wait_for_selector(".item-head .badge")
    item_id = int(desk.url.rsplit("/", 1)[1])
    approve(api, item_id)

    desk.goto(commitment_url)
    desk.fill("form.cm-progress input[name=on_date]", "2026-03-01")
    desk.fill("form.cm-progress textarea[name=text]", "开通分时段预约，预约率达到 45%")
    desk.fill("form.cm-progress input[name=percent]", "40")
    assert axe(desk) == []
    desk.click("form.cm-progress button")
    desk.wait_for_selector(".flash")
    assert desk.inner_text(".item-head .badge") == "草稿" and "开通分时段预约" in desk.inner_text(".md")
    approve(api, item_id)
    desk.goto(commitment_url)
    assert "已审定" in desk.inner_text("table.cm-updates")
    desk.screenshot(path=str(ARTIFACTS / "commitment_page.png"), full_page=True)

    phone = browser.new_context(viewport={"width": 320, "height": 640}, locale="zh-CN").new_page()
    phone.set_default_timeout(15000)
    phone.goto(f"{base}/f/BOX1?item={item_id}")
    assert "评诺" in phone.inner_text("form.rate legend")
    assert axe(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    small = phone.evaluate("""() => [...document.querySelectorAll('form.rate label.choice, form.rate button')]
        .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44; }).length""")
    assert small == 0  # every 评诺 control is at least 44×44 px
    phone.screenshot(path=str(ARTIFACTS / "commitment_rate_320.png"), full_page=True)
    phone.check("form.rate input[value=satisfied]")
    phone.click("form.rate button")
    assert "已收到您的评价" in phone.inner_text("p.ok")
    assert axe(phone) == []
    assert api.call("GET", "/commitments", "sue").get_json()[0]["ratings"]["satisfied"] == 1

    login_page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login_page.set_default_timeout(15000)
    login(login_page, base, "sue")
    login_page.click("nav.tabs >> text=公开承诺")
    assert "内科党支部" in login_page.inner_text("table.commitments") and axe(login_page) == []
    login_page.screenshot(path=str(ARTIFACTS / "commitments_list.png"), full_page=True)
    login_page.click("text=承诺台账")
    text = login_page.inner_text("section.ledger")
    assert "开通分时段预约，预约率达到 45%" in text and "已审定" in text and "满意 1" in text
    assert axe(login_page) == []
    login_page.screenshot(path=str(ARTIFACTS / "commitment_ledger.png"), full_page=True)
