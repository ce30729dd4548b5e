"""The README's 督查通报 screenshot: the demo's published circular as the bureau's 纪委 sees it (its
per-hospital table, 县第一人民医院's answered findings, 县中医院's pending ones), in the
system's headless Chromium; called by tests/test_readme_screenshots.py with the served demo."""
from __future__ import annotations

import os

from browsing import ARGS, CHROMIUM, require_chromium


def shoot(url: str, out: str, password: str) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        page.set_default_timeout(20000)
        page.goto(f"{url}/admin/login")
        page.fill("input[name=username]", "jiwei")
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        page.wait_for_selector("nav.tabs")
        page.goto(f"{url}/admin/circulars?unit=BUREAU")
        page.click("table.list a")
        page.wait_for_selector("table.findings")
        text = page.inner_text("main")
        assert "各医院情况" in text and "县第一人民医院" in text and "县中医院" in text
        states = page.locator("table.findings .state").all_inner_texts()
        assert "已填报" in states and "待整改" in states, states
        page.screenshot(path=os.path.join(out, "circular.png"), full_page=True)
        browser.close()
