"""公开监督 in a real headless Chromium: the dashboard and the monthly report render with their SVG
charts, pass axe-core with zero violations, and print without the navigation. Screenshots go to
tests/artifacts/ (compliance_dashboard.png, compliance_report.png, compliance_print.png)."""
import pytest

from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
from conftest import PASSWORD
from test_compliance import world  # noqa: F401  (the fixture: overdue, stuck, late feedback)
from test_public_browser import AXE, axe


@pytest.fixture
def page():
    require_chromium()
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run ./gongkai (npm install --prefix .venv/node "
                    "axe-core) or set GONGKAI_AXE_JS", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        context.set_default_timeout(15000)
        yield context.new_page()
        browser.close()


def test_dashboard_and_report_in_chromium(app, world, page):  # noqa: F811
    with served(app) as base:
        page.goto(f"{base}/admin/login")
        page.fill("input[name=username]", "sue")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.click("nav.tabs >> text=公开监督")
        page.wait_for_selector("section.charts-panel svg")
        assert page.locator("nav.tabs a.on").inner_text() == "公开监督"
        assert page.locator("svg.chart").count() == 4
        assert "CT 检查价格调整" in page.inner_text("section.stuck")
        assert world["feedback"] in page.inner_text("section.deadlines")
        assert int(page.inner_text("#total-stuck strong")) == 1
        box = page.locator("svg.chart").first.bounding_box()
        assert box["width"] > 300 and box["height"] > 100         # drawn, not collapsed
        assert axe(page) == []
        page.screenshot(path=str(ARTIFACTS / "compliance_dashboard.png"), full_page=True)

        page.fill("input[name=month]", "2026-11")
        page.click("form.inline >> text=月度报告")
        page.wait_for_selector("#summary")
        assert "2026-11 公开监督月报" in page.inner_text("h1")
        assert "第三季度医疗质量评价" in page.inner_text("section.disclosed")
        assert axe(page) == []
        page.screenshot(path=str(ARTIFACTS / "compliance_report.png"), full_page=True)

        page.emulate_media(media="print")
        assert not page.locator("nav.tabs").is_visible() and not page.locator(".tools").is_visible()
        assert page.locator("section.late").is_visible()
        page.screenshot(path=str(ARTIFACTS / "compliance_print.png"), full_page=True)
