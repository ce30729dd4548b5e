"""The admin UI in a real headless Chromium (Playwright), against the real app on a local port:
the whole workflow by filling forms and clicking buttons, with screenshots in tests/artifacts/."""
import shutil

import pytest

from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
from conftest import PASSWORD
from server import create_app

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def live_server(template_instance, tmp_path):
    """The app over a copy of the template instance, served by werkzeug in a thread."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "browser-test"}, instance_path=str(instance))
    with served(app) as url:
        yield url


@pytest.fixture
def page():
    """A 1366×768 page in the system's Chromium (never a downloaded browser)."""
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        context.set_default_timeout(15000)
        yield context.new_page()
        browser.close()


def login(page, base, username):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.tabs")


def logout(page):
    page.click("header form button")
    page.wait_for_selector("section.login")


def act(page, action, comment="同意"):
    """Fill the comment of one action's form and press its button (审定通过: then confirm it on the
    preview page, where the comment is carried over)."""
    form = page.locator(f"form.action-{action}")
    form.locator("textarea").fill(comment)
    form.locator("button").click()
    if action in ("approve", "escalate"):
        assert page.locator("form.confirm-form textarea").input_value() == comment
        page.click("form.confirm-form button.primary")
    page.wait_for_selector(".flash")


def test_workflow_in_chromium(live_server, page):
    base = live_server
    page.goto(f"{base}/admin/")
    assert "工作人员登录" in page.inner_text("h1")
    page.screenshot(path=str(ARTIFACTS / "login.png"))

    login(page, base, "alice")
    page.click("nav.tabs >> text=新建事项")
    page.select_option("select[name=category]", "prices")
    page.fill("input[name=title]", "2025 年 CT 检查价格公示")
    page.fill("textarea[name=body]", "## 检查价格\n\n依据省医保局文件执行。\n\n"
                                     "| 项目 | 单位 | 价格（元） |\n|---|---|---|\n"
                                     "| CT 平扫 | 部位 | 230 |\n| 核磁共振 | 部位 | 480 |\n")
    page.check("input[name=audiences][value=patients]")
    page.check("input[name=audiences][value=public]")
    page.screenshot(path=str(ARTIFACTS / "new_item_form.png"))
    page.click("button.save-draft")
    page.wait_for_selector(".item-head")
    item_url = page.url
    assert page.inner_text(".item-head .badge") == "草稿"
    act(page, "submit")
    assert page.inner_text(".item-head .badge") == "已提出"
    logout(page)

    login(page, base, "bob")
    assert "2025 年 CT 检查价格公示" in page.inner_text("main section:first-of-type")
    page.screenshot(path=str(ARTIFACTS / "queue.png"))
    page.click("text=2025 年 CT 检查价格公示")
    act(page, "review")
    assert page.inner_text(".item-head .badge") == "已审议"
    logout(page)

    for user, action, status in [("carol", "clear", "已保密审查"), ("dan", "approve", "已公开")]:
        login(page, base, user)
        page.goto(item_url)
        act(page, action)
        assert page.inner_text(".item-head .badge") == status
        if user != "dan":
            logout(page)

    assert "已公开" in page.inner_text(".item-head")
    assert page.locator(".md table td").first.inner_text() == "CT 平扫"
    assert page.locator("table.history tbody tr").count() == 4
    page.screenshot(path=str(ARTIFACTS / "item_published.png"), full_page=True)


def test_uploads_in_chromium(live_server, page, tmp_path):
    base = live_server
    login(page, base, "alice")
    page.goto(f"{base}/admin/items/new?category=drug-prices")
    page.fill("input[name=title]", "常用药品价格")
    page.click("button.save-draft")
    page.click("a.button:has-text('修改草稿')")
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes("药品,规格,价格\n阿莫西林,0.25g*24,12.50\n布洛芬\n".encode("gbk"))
    page.set_input_files("input[name=table]", str(ragged))
    page.click("button.primary")
    assert "第 3 行有 1 列" in page.inner_text(".field-error")
    page.screenshot(path=str(ARTIFACTS / "edit_form_error.png"))
    good = tmp_path / "drugs.csv"
    good.write_bytes(("药品,规格,价格\n" + "".join(f"药品{n},10mg*{n},{n}.00\n" for n in range(1, 121)))
                     .encode("gbk"))
    page.set_input_files("input[name=table]", str(good))
    page.click("button.primary")
    page.wait_for_selector(".table-preview")
    assert "共 120 行，显示前 50 行" in page.inner_text(".table-preview")
    assert page.locator(".table-preview tbody tr").count() == 50
    page.screenshot(path=str(ARTIFACTS / "item_table.png"))


def test_catalog_and_english_in_chromium(live_server, page):
    base = live_server
    login(page, base, "root")
    page.click("nav.tabs >> text=公开目录")
    assert page.locator("table.tree tbody tr").count() > 20
    page.screenshot(path=str(ARTIFACTS / "catalog.png"))
    page.click("#c-prices a:has-text('修改')")
    page.select_option("select[name=owner]", "财务科")
    page.click("button.primary")
    assert "财务科" in page.inner_text("#c-prices")
    page.click("header a.lang")
    assert page.inner_text("nav.tabs").startswith("My work")
    page.click("nav.tabs >> text=Users")
    assert "Staff accounts" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "users_en.png"))


def test_screens_in_chromium(live_server, page):
    import json
    import urllib.request
    base = live_server
    request = urllib.request.Request(f"{base}/api/v1/devices/enrol", method="POST",
                                     data=json.dumps({"kind": "signage", "screen": {"w": 1920, "h": 1080}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as resp:
        enrolled = json.loads(resp.read())
    login(page, base, "root")
    page.click("nav.tabs >> text=屏幕管理")
    card = page.locator(f"#pending-{enrolled['device_id']}")
    assert enrolled["pairing_code"] in card.locator(".pairing-code").inner_text()
    card.locator("input[name=name]").fill("门诊大厅 1 号屏")
    card.locator("input[name=location]").fill("门诊楼一楼")
    card.locator("input[name=audiences][value=public]").check()
    card.locator("select[name=orientation]").select_option("landscape")
    card.locator("button.primary").click()
    page.wait_for_selector(".flash")
    assert "门诊大厅 1 号屏" in page.inner_text("table.screens")
    page.click("table.screens >> text=门诊大厅 1 号屏")
    page.click("form button:has-text('识别')")
    assert "已发送指令：识别" in page.inner_text(".flash")
    page.screenshot(path=str(ARTIFACTS / "screen_detail.png"), full_page=True)
