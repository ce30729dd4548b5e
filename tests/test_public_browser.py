"""The phone pages in a real headless Chromium at 320 px wide, with axe-core run in the same browser
(zero violations), then the staff handling loop end to end. Screenshots go to tests/artifacts/.

axe-core is not a Python package: ./gongkai installs it with npm into .venv/node (see AXE below).
The test fails, never skips, when it is missing."""
import os
import re
import shutil
from pathlib import Path

import pytest

from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
from conftest import PASSWORD
from server import create_app, db
from server.hearing.models import FeedbackPoint
from server.instance import create_user, find_unit

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(os.environ.get("GONGKAI_AXE_JS", ROOT / ".venv/node/node_modules/axe-core/axe.min.js"))
PHONE = {"width": 320, "height": 640}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture
def live(template_instance, tmp_path):
    """The app with a location code BOX1 and a handler, served by werkzeug in a thread."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "browser-test"}, instance_path=str(instance))
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        unit.hotline = "0571-12345678"
        s.add(FeedbackPoint(unit_id=unit.id, code="BOX1", name="门诊大厅意见箱"))
        create_user(s, "hank", PASSWORD, ["handler"], unit)
        s.commit()
    with served(app) as url:
        yield url


@pytest.fixture
def browser():
    require_chromium()
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run ./gongkai (npm install --prefix .venv/node "
                    "axe-core) or set GONGKAI_AXE_JS", pytrace=False)
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def phone_page(browser, locale="zh-CN"):
    context = browser.new_context(viewport=PHONE, locale=locale, java_script_enabled=True)
    context.set_default_timeout(15000)
    return context.new_page()


def axe(page) -> list:
    """Run axe-core in the page; the violations, each with its rule id and the nodes hit."""
    # evaluated through DevTools: the app's CSP (no inline script) rightly refuses an injected <script>
    page.evaluate("source => { (0, eval)(source); }", AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def fits(page) -> None:
    """Nothing scrolls sideways at 320 px, and every control is at least 44×44 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate("""() => [...document.querySelectorAll('button, a, label.choice, input:not([type=hidden]):not([type=radio]):not([name=website]), textarea, select')]
        .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect()])
        .filter(([h, r]) => r.width > 0 && (r.height < 44 || r.width < 44)).map(([h]) => h)""")
    assert small == []


def test_phone_form_at_320px_passes_axe(live, browser):
    page = phone_page(browser)
    page.set_content("<html><body><img src='x.png'><input></body></html>")
    assert {"image-alt", "label", "html-has-lang"} <= {rule for rule, _ in axe(page)}  # axe really runs
    page.goto(f"{live}/f/BOX1")
    assert axe(page) == []
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "public_form_320.png"), full_page=True)
    page.click("button[type=submit]")  # browser validation stops the empty form
    assert "/f/BOX1" in page.url and page.locator("#tracking-code").count() == 0

    page.check("input[value=complaint]")
    page.fill("#text", "挂号窗口排队 <40> 分钟")
    page.fill("#phone", "13800138000")
    page.click("button[type=submit]")
    code = page.inner_text("#tracking-code")
    assert re.fullmatch(r"FK-\d{4}-[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", code)
    assert axe(page) == []
    page.screenshot(path=str(ARTIFACTS / "public_received_320.png"), full_page=True)
    page.go_back()
    page.evaluate("document.querySelector('#text').removeAttribute('maxlength')")
    page.fill("#text", "too long " * 200)
    page.check("input[value=complaint]")
    page.click("button[type=submit]")
    assert page.locator(".err").count() == 1 and "最多 1000" in page.inner_text(".err")
    assert axe(page) == []
    page.screenshot(path=str(ARTIFACTS / "public_form_error_320.png"), full_page=True)

    page.goto(f"{live}/t/{code}")
    assert axe(page) == []
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "public_track_320.png"), full_page=True)

    page.goto(f"{live}/r?lang=en")
    assert axe(page) == []
    fits(page)
    page.screenshot(path=str(ARTIFACTS / "public_request_en_320.png"), full_page=True)
    page.goto(f"{live}/t")
    assert axe(page) == []


def login(page, base, username):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.tabs")


def test_handling_loop_end_to_end(live, browser):
    phone = phone_page(browser)
    phone.goto(f"{live}/f/BOX1")
    phone.check("input[value=suggestion]")
    phone.fill("#text", "候诊区希望增加饮水机")
    phone.click("button[type=submit]")
    code = phone.inner_text("#tracking-code")
    follow = phone.get_attribute("a.button", "href")   # the person's own link: it carries the rating key
    assert f"/t/{code}?key=" in follow

    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login(desk, live, "bob")
    desk.click("nav.tabs >> text=反馈与申请")
    desk.click(f"text={code}")
    desk.select_option("form.action-assign select[name=department]", "后勤保障部")
    desk.select_option("form.action-assign select[name=handler]", label="hank")
    desk.click("form.action-assign button")
    desk.wait_for_selector(".flash")
    desk.screenshot(path=str(ARTIFACTS / "feedback_assigned.png"), full_page=True)
    desk.click("header form button")

    login(desk, live, "hank")
    desk.goto(f"{live}/admin/feedback")
    desk.click(f"text={code}")
    desk.fill("form.action-answer textarea", "已在候诊区增设两台饮水机。")
    desk.click("form.action-answer button")
    desk.wait_for_selector(".flash")
    desk.click("form.action-publish button")
    desk.wait_for_selector("text=已发布答复")
    desk.screenshot(path=str(ARTIFACTS / "feedback_published.png"), full_page=True)

    phone.goto(f"{live}/t/{code}")                      # the code alone reads the reply …
    assert "增设两台饮水机" in phone.inner_text(".reply") and phone.locator("button[value=satisfied]").count() == 0
    phone.goto(f"{live}{follow}")                       # … the rating link rates it
    phone.click("button[value=satisfied]")
    assert "您的评价：满意" in phone.inner_text("main")
    assert axe(phone) == []
    phone.screenshot(path=str(ARTIFACTS / "public_rated_320.png"), full_page=True)
