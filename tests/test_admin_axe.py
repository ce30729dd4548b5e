"""Every staff page in a real headless Chromium with axe-core run in it: zero violations (WCAG 2.1 A/AA
and best practices), on the demo's content plus what the demo lacks (feedback in every state, a
request, screens pending and in use, a digest, an alert). Every GET route of the admin blueprint is
visited — a new page without an entry here fails — and so are the pages a POST answers with (the
approval preview, forms with errors, confirmations). Screenshots of each go to tests/artifacts/axe/."""
import json
import re
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from browsing import ARGS, ARTIFACTS, CHROMIUM, require_chromium, served
from server import create_app, db
from server.demo.content import PASSWORD, seed_demo
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.hearing import sla_jobs
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.instance import create_user, find_unit, init_instance
from server.models import Category, Item, User
from server.screens.models import Device
from test_public_browser import AXE, axe

# Pages that are not HTML (files for download) — everything else under /admin is checked.
NOT_HTML = {"admin.commitment_ledger_csv", "admin.compliance_report_pdf", "admin.feedback_poster",
            "admin.screen_screenshot", "admin.print_item", "admin.posting_photo",
             "admin.compliance_submission_pdf"}
# Pages only a bureau's supervisor sees: visited as the demo's jiwei.
BUREAU_PAGES = {"admin.compliance_submissions"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo instance plus the states the demo does not make, served on a free port."""
    path = tmp_path_factory.mktemp("axe")
    app = create_app({"SECRET_KEY": "axe"}, instance_path=str(path))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    with app.test_request_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "allroles", PASSWORD, ["contributor", "reviewer", "confidentiality", "approver",
                                              "handler", "supervisor", "admin"], unit, "全部角色 测试员")
        s.add(FeedbackPoint(unit_id=unit.id, code="BOX1", name="门诊大厅意见箱"))
        s.commit()
        reviewer = s.scalar(select(User).where(User.username == "gongkai"))
        cases = [fbs.create(s, unit, {"kind": kind, "text": text, "phone": "13800138000"}, screen_code="BOX1")[0]
                 for kind, text in [("complaint", "挂号窗口排队 40 分钟"), ("suggestion", "候诊区希望增加饮水机"),
                                    ("praise", "感谢心内科护士的耐心"), ("question", "周末是否有B超")]]
        fbs.act(s, reviewer, cases[1], "assign", {"department": "后勤处", "handler": None})
        fbs.act(s, reviewer, cases[2], "assign", {"department": "门诊部", "handler": None})
        fbs.act(s, reviewer, cases[2], "answer", {"reply": "已转达表扬，谢谢！"})
        fbs.act(s, reviewer, cases[0], "escalate", {"reason": "涉及工作人员作风"})
        rqs.create(s, unit, {"name": "张三", "id_type": "id_card", "id_number": "11010519491231002X",
                             "contact": "zs@example.cn", "description": "2025 年大型设备采购目录", "delivery": "email"})
        sla_jobs.run_unit(s, unit, datetime.now(timezone.utc))
        s.commit()
    with served(app) as url:
        enrolled = []
        for kind, size in (("kiosk", (1080, 1920)), ("signage", (1920, 1080))):
            req = urllib.request.Request(f"{url}/api/v1/devices/enrol", method="POST",
                                         headers={"Content-Type": "application/json"},
                                         data=json.dumps({"kind": kind, "screen": {"w": size[0], "h": size[1]}}).encode())
            with urllib.request.urlopen(req) as resp:
                enrolled.append(json.loads(resp.read()))
        with app.app_context():
            from server.screens import registry
            s = db.session()
            admin = s.scalar(select(User).where(User.username == "admin"))
            registry.approve(s, admin, enrolled[0]["device_id"], {
                "name": "门诊大厅查询机", "location": "门诊楼一楼", "audiences": ["patients", "public"]})
            s.commit()
        yield app, url


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run ./gongkai", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def log_in(browser, url, username, locale="zh-CN"):
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale).new_page()
    page.set_default_timeout(20000)
    page.goto(f"{url}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.tabs")
    return page


def sample_urls(app) -> dict[str, list[str]]:
    """endpoint → the URLs that show it with real rows (every variant worth seeing)."""
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        items = s.scalars(select(Item).where(Item.unit_id == unit.id).order_by(Item.id)).all()
        by_status = {}
        for item in items:
            by_status.setdefault(item.revisions[-1].status, item.id)
        commitment = next(i.id for i in items if i.kind == "commitment")
        from server.commitments.models import Commitment
        commitments = [c.id for c in s.scalars(select(Commitment).order_by(Commitment.id))]
        feedback = [f.id for f in s.scalars(select(Feedback).order_by(Feedback.id))]
        request_id = s.scalar(select(InfoRequest.id))
        devices = s.scalars(select(Device).order_by(Device.created_at)).all()
        cat = s.scalar(select(Category.key).where(Category.unit_id == unit.id, Category.key == "prices"))
        user_id = s.scalar(select(User.id).where(User.username == "lianluo"))
        draft = next(i.id for i in items if i.revisions[-1].status == "draft" and i.kind == "item")
        cleared = next(i.id for i in items if i.revisions[-1].status == "cleared")
        month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
        from server.bureau.models import Circular
        circulars = [c.id for c in s.scalars(select(Circular).order_by(Circular.id))]
        last_month = (datetime.now(timezone(timedelta(hours=8))).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return {
        "admin.queue": ["/admin/"], "admin.items": ["/admin/items", "/admin/items?status=published"],
        "admin.item": [f"/admin/items/{i}" for i in sorted(set(by_status.values()) | {commitment})],
        "admin.edit_item": [f"/admin/items/{draft}/edit"], "admin.new_item": ["/admin/items/new"],
        "admin.confirm": [f"/admin/items/{cleared}/confirm/approve"],
        "admin.catalog_tree": ["/admin/catalog"], "admin.new_category": ["/admin/catalog/new"],
        "admin.edit_category": [f"/admin/catalog/{cat}/edit"],
        "admin.users": ["/admin/users"], "admin.account": ["/admin/account"], "admin.screen_branding": ["/admin/branding"], "admin.user_roles": [f"/admin/users/{user_id}"],
        "admin.departments_page": ["/admin/departments"],
        "admin.commitments": ["/admin/commitments"], "admin.commitment": [f"/admin/commitments/{c}" for c in commitments],
        "admin.commitment_ledger": ["/admin/commitments/ledger"], "admin.new_commitment": ["/admin/commitments/new"],
        "admin.feedback_inbox": ["/admin/feedback", "/admin/feedback?status=all"],
        "admin.feedback_detail": [f"/admin/feedback/{f}" for f in feedback],
        "admin.feedback_digests": ["/admin/feedback/digests"], "admin.new_feedback": ["/admin/feedback/new"],
        "admin.feedback_points": ["/admin/feedback/points"],
        "admin.requests_list": ["/admin/requests", "/admin/requests?status=all"],
        "admin.request_detail": [f"/admin/requests/{request_id}"], "admin.request_new": ["/admin/requests/new"],
        "admin.satisfaction": ["/admin/satisfaction"],
        "admin.compliance_dashboard": ["/admin/compliance"], "admin.boards": ["/admin/boards"],
        "admin.compliance_report": ["/admin/compliance/report", f"/admin/compliance/report?month={month}",
                                    f"/admin/compliance/report?month={last_month}"],   # sent (信息报送)
        "admin.compliance_submissions": ["/admin/compliance/submissions?unit=BUREAU",
                                         "/admin/compliance/submissions?unit=BUREAU&months=12"],
        "admin.compliance_submission": ["/admin/compliance/submissions/1"],
        "admin.screens_page": ["/admin/screens"], "admin.screen": [f"/admin/screens/{d.id}" for d in devices],
        "admin.signage_home": ["/admin/signage"], "admin.signage_plays": ["/admin/signage/plays"],
        "admin.signage_preview": ["/admin/signage/preview", "/admin/signage/preview?size=1080x1920&group=大厅"],
        "admin.login": ["/admin/login"],
        "admin.circular_list": ["/admin/circulars"], "admin.circular": [f"/admin/circulars/{c}" for c in circulars],
    }


def test_every_admin_page_passes_axe(site, browser):
    app, url = site
    samples = sample_urls(app)
    routes = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.") and "GET" in r.methods}
    assert routes - NOT_HTML - set(samples) == set(), "admin pages without an axe check"
    out = ARTIFACTS / "axe"
    out.mkdir(parents=True, exist_ok=True)
    page = log_in(browser, url, "allroles")
    problems, visited = {}, 0
    for endpoint, paths in sorted(samples.items()):
        for path in paths:
            if endpoint == "admin.login":
                check = browser.new_context(locale="zh-CN").new_page()
                check.goto(url + path)
            elif endpoint in BUREAU_PAGES:
                check = log_in(browser, url, "jiwei")
                check.goto(url + path)
            else:
                check = page
                check.goto(url + path)
            assert check.evaluate("document.readyState") == "complete"
            assert "HTTP" not in check.inner_text("main"), path
            found = axe(check)
            visited += 1
            if found:
                problems[path] = found
            name = re.sub(r"[^A-Za-z0-9]+", "_", path.strip("/")) or "queue"
            check.screenshot(path=str(out / f"{name}.png"), full_page=True)
    (out / "problems.json").write_text(json.dumps(problems, ensure_ascii=False, indent=1), encoding="utf-8")
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    assert visited >= 45


def test_pages_answering_a_post_pass_axe(site, browser):
    """The approval preview, a form refused with errors, the alert confirmation, an English page."""
    app, url = site
    page = log_in(browser, url, "allroles")
    problems = {}

    def check(name):
        found = axe(page)
        if found:
            problems[name] = found
        page.screenshot(path=str(ARTIFACTS / "axe" / f"post_{name}.png"), full_page=True)

    with app.app_context():
        s = db.session()
        cleared = s.scalars(select(Item).where(Item.unit_id == find_unit(s, "H001").id)).all()
        cleared = next(i.id for i in cleared if i.revisions[-1].status == "cleared")
    page.goto(f"{url}/admin/items/{cleared}")
    page.click("form.action-approve button")
    page.wait_for_selector("form.confirm-form")
    check("approve_preview")
    page.goto(f"{url}/admin/items/new")
    page.select_option("select[name=category]", "prices")
    page.fill("input[name=title]", " ")
    page.click("button.primary")                      # a blank title: refused, errors shown
    page.wait_for_selector(".form-errors")
    check("new_item_errors")
    page.goto(f"{url}/admin/signage")
    page.fill("form.raise-alert input[name=title]", "门诊楼停电，请走急诊通道")
    page.click("form.raise-alert button")
    page.wait_for_selector("form input[name=confirmed]", state="attached")
    check("alert_confirm")
    page.goto(f"{url}/admin/items/99999")
    check("not_found")
    english = log_in(browser, url, "allroles", locale="en-US")
    for path in ("/admin/?lang=en", f"/admin/items/{cleared}?lang=en", "/admin/feedback?lang=en"):
        english.goto(url + path)
        found = axe(english)
        if found:
            problems[path] = found
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
