"""From a contributor's draft to a published price table, in a real Chromium, as four staff members
would do it: every click, typed field and chosen file is counted as an action, every page the browser
loads as a page load. The figures are printed (the closing note of issue #17 quotes them)."""
import shutil

import pytest

from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
from conftest import PASSWORD
from server import create_app

PRICES = ("项目编码,项目名称,计价单位,价格（元）\n"
          "250101001,血常规,项,20.00\n250102001,尿常规,项,10.00\n210300001,CT平扫（头部）,部位,230.00\n")


class Counted:
    """A Playwright page whose user actions and main-frame page loads are counted."""

    def __init__(self, page):
        self.page, self.actions, self.loads = page, 0, 0
        page.on("load", lambda *_: setattr(self, "loads", self.loads + 1))

    def __getattr__(self, name):
        return getattr(self.page, name)

    def _act(self, method, *args, **kwargs):
        self.actions += 1
        result = getattr(self.page, method)(*args, **kwargs)
        self.page.wait_for_load_state()
        return result

    def goto(self, url):
        return self._act("goto", url)

    def click(self, selector):
        return self._act("click", selector)

    def fill(self, selector, value):
        return self._act("fill", selector, value)

    def select_option(self, selector, value):
        return self._act("select_option", selector, value)

    def set_input_files(self, selector, path):
        return self._act("set_input_files", selector, path)


@pytest.fixture
def live(template_instance, tmp_path):
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "flow-test"}, instance_path=str(instance))
    with served(app) as url:
        yield url


@pytest.fixture
def page():
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.set_default_timeout(15000)
        yield Counted(context.new_page())
        browser.close()


def log_in(page, username):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")


def test_contributor_to_published_price_table(live, page, tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_bytes(PRICES.encode("gbk"))
    page.goto(f"{live}/admin/login")
    log_in(page, "alice")
    page.click("nav.tabs >> text=新建事项")
    page.select_option("select[name=category]", "prices")
    page.fill("input[name=title]", "2026 年检查检验价格")
    page.click("button.primary")
    page.click("a.button:has-text('修改草稿')")
    page.set_input_files("input[name=table]", str(csv))
    page.click("button.primary")
    item_url = page.page.url
    page.click("form.action-submit button")
    page.click("header form button")

    for user, action in [("bob", "review"), ("carol", "clear"), ("dan", "approve")]:
        log_in(page, user)
        page.click("text=2026 年检查检验价格")
        page.click(f"form.action-{action} button")
        if user != "dan":
            page.click("header form button")

    assert page.page.url.split("?")[0] == item_url
    assert page.page.inner_text(".item-head .badge") == "已公开"
    assert "CT平扫（头部）" in page.page.inner_text(".table-preview")
    page.page.screenshot(path=str(ARTIFACTS / "flow_published.png"), full_page=True)
    print(f"\ncontributor to published price table: {page.actions} actions, {page.loads} page loads")
