"""The staff side of feedback and requests in the admin UI: the handling loop through forms, badges,
masking, staff-entered channels, escalation, 依申请公开 steps, 评议 and location codes."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import PASSWORD
from server import db
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.instance import create_user, find_unit
from test_admin import Staff


@pytest.fixture
def staff(app):
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "hank", PASSWORD, ["handler"], unit)
        s.commit()
    return lambda name: Staff(app, name)


def make_feedback(app, **data):
    with app.test_request_context():
        s = db.session()
        fb, _ = fbs.create(s, find_unit(s, "H001"), {"kind": "complaint", "text": "候诊 <太久>",
                                                     "phone": "13800138000", **data})
        return fb.id, fb.code


def test_handling_loop_through_forms(app, client, staff):
    fb_id, code = make_feedback(app)
    bob, hank = staff("bob"), staff("hank")
    inbox = bob.get("/admin/feedback")
    assert code in inbox.text and "反馈与申请" in inbox.text and "候诊 &lt;太久&gt;" in inbox.text
    detail = bob.get(f"/admin/feedback/{fb_id}").text
    assert "138****8000" in detail and "13800138000" not in detail
    hank_id = re.search(r'<option value="(\d+)">hank</option>', detail).group(1)
    bad = bob.post(f"/admin/feedback/{fb_id}/assign", {"department": ""})
    assert bad.status_code == 422 and "必填" in bad.text
    assert bob.post(f"/admin/feedback/{fb_id}/assign", {"department": "门诊部", "handler": hank_id,
                                                       "kind": "complaint"}).status_code == 302
    page = hank.get(f"/admin/feedback/{fb_id}").text
    assert "13800138000" in page and "action-answer" in page
    assert hank.post(f"/admin/feedback/{fb_id}/answer", {"reply": ""}).status_code == 422
    assert hank.post(f"/admin/feedback/{fb_id}/answer", {"reply": "已增开窗口"}).status_code == 302
    before = client.get(f"/t/{code}").text
    assert "答复发布后会显示在这里" in before and "已增开窗口" not in before
    assert bob.post(f"/admin/feedback/{fb_id}/publish").status_code == 302
    assert "已增开窗口" in client.get(f"/t/{code}").text
    assert bob.post(f"/admin/feedback/{fb_id}/close").status_code == 302
    assert bob.post(f"/admin/feedback/{fb_id}/close").status_code == 409
    closed = bob.get("/admin/feedback?status=closed").text
    assert code in closed
    steps = bob.get(f"/admin/feedback/{fb_id}").text
    for action in ("收到", "分办", "答复", "发布答复", "办结"):      # the timeline speaks Chinese
        assert f"<td>{action}</td>" in steps
    assert "<td>received</td>" not in steps


def test_contributor_cannot_see_feedback(app, staff):
    fb_id, _ = make_feedback(app)
    alice = staff("alice")
    assert alice.get("/admin/feedback").status_code == 403
    assert alice.get(f"/admin/feedback/{fb_id}").status_code == 403
    assert "反馈与申请" not in alice.get("/admin/").text


def test_staff_entered_hotline_call(app, staff):
    bob = staff("bob")
    assert "热线电话" in bob.get("/admin/feedback/new").text
    bad = bob.post("/admin/feedback/new", {"channel": "fax", "kind": "question", "text": "x"})
    assert bad.status_code == 422
    resp = bob.post("/admin/feedback/new", {"channel": "hotline", "kind": "question", "text": "几点挂号？",
                                            "phone": "0571-8888888"})
    assert resp.status_code == 302
    with app.app_context():
        fb = db.session().scalar(select(Feedback))
        assert fb.channel == "hotline" and fb.steps[0].actor == "bob"


def test_overdue_badge_digest_and_supervisor_escalation(app, staff):
    fb_id, code = make_feedback(app)
    with app.app_context():
        s = db.session()
        fb = s.get(Feedback, fb_id)
        fb.due_date = fbs.today() - timedelta(days=30)
        s.commit()
    page = staff("bob").get("/admin/feedback").text
    assert "已超期" in page and "超期汇总" in page
    sue = staff("sue")
    escalated = sue.get("/admin/feedback?status=escalated").text
    assert code in escalated and "已上报" in escalated
    assert "13800138000" in sue.get(f"/admin/feedback/{fb_id}").text


def test_escalate_form_needs_reason(app, staff):
    fb_id, _ = make_feedback(app)
    bob = staff("bob")
    assert bob.post(f"/admin/feedback/{fb_id}/escalate", {"reason": ""}).status_code == 422
    assert bob.post(f"/admin/feedback/{fb_id}/escalate", {"reason": "涉及医德医风"}).status_code == 302
    assert "涉及医德医风" in staff("sue").get(f"/admin/feedback/{fb_id}").text


def test_request_steps_through_forms(app, client, staff):
    with app.test_request_context():
        s = db.session()
        req, _ = rqs.create(s, find_unit(s, "H001"), {
            "name": "张三", "id_type": "id_card", "id_number": "110101199001011237", "contact": "c",
            "description": "采购 <目录>", "delivery": "email"})
        req_id, code = req.id, req.code
    bob = staff("bob")
    assert code in bob.get("/admin/requests").text
    page = bob.get(f"/admin/requests/{req_id}").text
    assert "110****1237" in page and "采购 &lt;目录&gt;" in page
    assert bob.post(f"/admin/requests/{req_id}/correction", {"note": "请写明年份"}).status_code == 302
    assert "请写明年份" in client.get(f"/t/{code}").text
    assert bob.post(f"/admin/requests/{req_id}/corrected").status_code == 302
    for days in ("abc", "0", "21"):                               # 1..REQUEST_EXTENSION_DAYS
        assert bob.post(f"/admin/requests/{req_id}/extend", {"notice": "x", "days": days}).status_code == 422
    assert bob.post(f"/admin/requests/{req_id}/extend", {"notice": "需征求意见"}).status_code == 302
    assert bob.post(f"/admin/requests/{req_id}/extend", {"notice": "again"}).status_code == 409
    bad = bob.post(f"/admin/requests/{req_id}/answer", {"answer_type": "refused"})
    assert bad.status_code == 422
    assert bob.post(f"/admin/requests/{req_id}/answer",
                    {"answer_type": "partial", "text": "涉及商业秘密部分不予公开"}).status_code == 302
    public = client.get(f"/t/{code}").text
    assert "部分公开" in public and "涉及商业秘密" in public and "延期告知" in public
    assert bob.post(f"/admin/requests/{req_id}/close").status_code == 302
    with app.app_context():
        assert db.session().get(InfoRequest, req_id).status == "closed"


def test_satisfaction_page_and_location_codes(app, staff):
    bob = staff("bob")
    page = bob.get("/admin/satisfaction?month=2026-05")
    assert page.status_code == 200 and "评议统计" in page.text
    assert bob.get("/admin/satisfaction?month=nope").status_code == 404
    assert bob.post("/admin/feedback/points", {"code": "a b", "name": ""}).status_code == 422
    assert bob.post("/admin/feedback/points", {"code": "ward3", "name": "三病区"}).status_code == 302
    assert bob.post("/admin/feedback/points", {"code": "WARD3", "name": "重复"}).status_code == 422
    assert "/f/WARD3" in bob.get("/admin/feedback/points").text
    with app.app_context():
        assert db.session().scalar(select(FeedbackPoint.name)) == "三病区"
    assert staff("hank").get("/admin/feedback/points").status_code == 403


def test_poster_png_and_pdf(app, staff):
    import io
    from PIL import Image
    bob = staff("bob")
    bob.post("/admin/feedback/points", {"code": "BOARD1", "name": "院务公开栏"})
    png = bob.get("/admin/feedback/points/BOARD1/poster.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.size == (1240, 1754)
    artifacts = __import__("pathlib").Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    image.save(str(artifacts / "poster_BOARD1.png"))
    pdf = bob.get("/admin/feedback/points/BOARD1/poster.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert bob.get("/admin/feedback/points/NOPE/poster.png").status_code == 404
    assert bob.get("/admin/feedback/points/BOARD1/poster.gif").status_code == 404


def test_kiosk_ratings_screen_qr_and_statistics_slide(app, api, client, staff):
    """Satisfaction taps come in through the device report; the screen's own code opens the form."""
    from datetime import datetime, timezone
    from test_devices import Screen
    screen = Screen(api)
    code = screen.info["screen_code"]
    now = datetime.now(timezone.utc).isoformat()
    taps = [{"rating": r, "reason": "等候久" if r == "unsatisfied" else "", "category": "prices", "at": now}
            for r in ["satisfied"] * 3 + ["unsatisfied"] * 2]
    resp = client.post("/api/v1/devices/report", headers={"Authorization": f"Bearer {screen.token}"},
                       json={"batches": [{"id": "b1", "type": "rating", "records": taps}]})
    assert resp.status_code == 200
    client.post("/api/v1/devices/report", headers={"Authorization": f"Bearer {screen.token}"},
                json={"batches": [{"id": "b1", "type": "rating", "records": taps}]})  # retried: counted once
    month = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
    boss = staff("boss")
    page = boss.get(f"/admin/satisfaction?month={month}").text
    assert "门诊大厅" in page and "60.0%" in page and "需整改" in page
    form = client.get(f"/f/{code}")
    assert form.status_code == 200 and "一楼" in form.text
    key = re.search(r'name="k" value="([^"]+)"', form.text).group(1)
    client.post(f"/f/{code}", data={"k": key, "kind": "question", "text": "自助机怎么打印？"})
    with app.app_context():
        fb = db.session().scalar(select(Feedback))
        assert fb.device_id == screen.id and fb.screen_code == code
    made = boss.post("/admin/satisfaction/slide", {"month": month})
    assert made.status_code == 302 and "/admin/items/" in made.location
    item = boss.get(made.location).text
    assert "意见反馈统计" in item and "本月收到" in item and "60.0 %" in item


def test_staff_entered_request_by_letter(app, client, staff):
    hank, alice = staff("hank"), staff("alice")
    form = hank.get("/admin/requests/new")
    assert form.status_code == 200 and "登记依申请公开" in form.text and "来信" in form.text
    assert "Enter an information request" in hank.get("/admin/requests/new?lang=en").text
    hank.get("/admin/requests/new?lang=zh")
    data = {"channel": "letter", "name": "李四", "id_type": "passport", "id_number": "E12345678",
            "contact": "杭州市上城区 1 号", "description": "院内 <收费> 标准", "delivery": "paper"}
    bad = hank.post("/admin/requests/new", {**data, "channel": "web", "description": ""})
    assert bad.status_code == 422 and "必填" in bad.text and "院内" not in bad.text
    assert 'value="李四"' in bad.text                                 # what was typed stays
    assert alice.post("/admin/requests/new", data).status_code == 403
    with app.app_context():
        assert db.session().scalar(select(InfoRequest)) is None
    resp = hank.post("/admin/requests/new", data)
    assert resp.status_code == 302
    with app.app_context():
        req = db.session().scalar(select(InfoRequest))
        assert req.channel == "letter" and req.steps[0].actor == "hank" and req.status == "received"
        assert req.due_date == rqs.due_after(db.session(), req.clock_start, 20)
        req_id, code = req.id, req.code
    page = hank.get(f"/admin/requests/{req_id}").text
    assert code in page and "来信" in page and "护照" in page and "纸质邮寄" in page
    assert "E12345678" not in page and "E12****5678" in page        # masked except for the supervisor
    assert "E12345678" in staff("sue").get(f"/admin/requests/{req_id}").text
    assert "院内 &lt;收费&gt; 标准" in page
    assert code in staff("bob").get("/admin/requests").text
    tracking = client.get(f"/t/{code}")
    assert tracking.status_code == 200 and code in tracking.text and "李四" not in tracking.text
