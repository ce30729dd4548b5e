"""信息屏 admin pages in a real headless Chromium against the real app on a local port: a rule for
the lobby group, an emergency alert raised and cleared through its confirm step, and the live
preview at portrait resolution; screenshots in tests/artifacts/."""
import json
import shutil

import pytest

from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
from conftest import PASSWORD, Api
from server import create_app


@pytest.fixture
def lobby(template_instance, tmp_path):
    """The app over a copy of the template, with one approved item and a signage screen in 大厅."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "browser-test"}, instance_path=str(instance))
    api = Api(app.test_client())
    item = api.create(title="门诊就诊须知", body="请提前 15 分钟到达候诊区。",
                      signage={"enabled": True, "ticker": True, "duration": 20})
    api.publish(item["id"])
    enrol = api.client.post("/api/v1/devices/enrol", json={"kind": "signage", "screen": {"w": 1080, "h": 1920}})
    device_id = enrol.get_json()["device_id"]
    api.call("POST", f"/devices/{device_id}/approve", "root",
             json={"name": "大厅信息屏", "audiences": ["patients", "public"], "groups": ["大厅"]})
    token = api.client.get(enrol.get_json()["poll"]).get_json()["token"]

    def manifest():
        resp = api.client.get("/api/v1/feed", headers={"Authorization": f"Bearer {token}"})
        return json.loads(resp.data)

    with served(app) as url:
        yield url, manifest


@pytest.fixture
def page():
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        context.set_default_timeout(15000)
        yield context.new_page()
        browser.close()


def test_rule_alert_and_preview_in_chromium(lobby, page):
    base, manifest = lobby
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.click("nav.tabs >> text=信息屏")
    assert page.inner_text("h1") == "信息屏"

    rule = page.locator("form.add-rule")
    rule.locator("input[name=group]").fill("大厅")
    rule.locator("select[name=category]").select_option("notices")
    rule.locator("input[name=immediate_only]").check()
    rule.locator("textarea[name=dayparts]").fill("1-5 08:00-17:30")
    rule.locator("button").click()
    assert "规则已添加" in page.inner_text(".flash")
    assert "周一至周五 08:00–17:30" in page.inner_text("table.rules")

    form = page.locator("form.raise-alert")
    form.locator("input[name=title]").fill("停电通知")
    form.locator("textarea[name=body]").fill("门诊楼今日 14:00–15:00 临时停电，请听从工作人员引导。")
    form.locator("button").click()
    assert page.inner_text("h1") == "确认发布紧急通知"
    assert manifest()["alert"] is None                       # nothing happens before the confirm
    page.click("button:has-text('确认发布')")
    assert "已发布到屏幕" in page.inner_text(".flash")
    assert manifest()["alert"]["title"] == "停电通知"
    page.screenshot(path=str(ARTIFACTS / "signage_alert_raised.png"), full_page=True)

    page.goto(f"{base}/admin/signage/preview?group=大厅&size=1080x1920")
    assert "停电通知" in page.inner_text(".alert-cover")
    page.goto(f"{base}/admin/signage")
    page.click("form.clear-alert button")
    assert page.inner_text("h1") == "确认解除紧急通知"
    page.click("button:has-text('确认解除')")
    assert "已解除" in page.inner_text(".flash")
    assert manifest()["alert"] is None

    page.goto(f"{base}/admin/signage/preview?group=大厅&size=1080x1920")
    assert "门诊就诊须知" in page.inner_text(".screen")
    assert page.locator(".screen .qr svg").count() == 1
    assert "门诊就诊须知" in page.inner_text(".ticker")
    box = page.locator(".screen-frame").first.bounding_box()
    assert box["height"] > box["width"]                     # portrait, scaled to fit the page
    page.screenshot(path=str(ARTIFACTS / "signage_preview_portrait.png"), full_page=True)
    page.goto(f"{base}/admin/signage/preview?group=大厅&size=1920x1080")
    box = page.locator(".screen-frame").first.bounding_box()
    assert box["width"] > box["height"]
    page.screenshot(path=str(ARTIFACTS / "signage_preview_landscape.png"), full_page=True)
