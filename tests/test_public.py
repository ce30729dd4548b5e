"""The public phone pages through Flask's test client: the QR form, tracking page, rating, request
form; bad input, honeypot, idempotency, rate limits per client, escaping, size and language."""
import io
import re
from datetime import timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from server import db
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.instance import find_unit

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

KEY = re.compile(r'name="k" value="([^"]+)"')
CST = timezone(timedelta(hours=8))
CODE = re.compile(r"(FK|SQ)-\d{4}-[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}")
RATE_LINK = re.compile(r'id="rating-link">http://[^/]+(/t/[^<"?]+\?key=[a-z2-7]+)<')


@pytest.fixture
def point(app):
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="门诊大厅意见箱"))
        s.commit()
    return "BOX1"


def form_key(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    return KEY.search(resp.text).group(1)


def submit(client, point="BOX1", addr="10.0.0.1", **fields):
    data = {"k": form_key(client, f"/f/{point}"), "kind": "suggestion", "text": "候诊区座椅不够"}
    data.update(fields)
    return client.post(f"/f/{point}", data=data, environ_base={"REMOTE_ADDR": addr})


def count(app, model=Feedback):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def test_form_is_chinese_small_and_without_javascript(client, app, point):
    resp = client.get(f"/f/{point}")
    css = client.get("/static/public.css")
    assert resp.status_code == 200 and 'lang="zh-CN"' in resp.text
    assert "扫码留言" in resp.text and "门诊大厅意见箱" in resp.text and "<script" not in resp.text
    assert len(resp.data) + len(css.data) <= 30 * 1024
    en = client.get(f"/f/{point}?lang=en")
    assert 'lang="en"' in en.text and "Send us feedback" in en.text


def test_unknown_code_is_404(client):
    assert client.get("/f/NOPE").status_code == 404
    assert client.get("/f/bad%20code").status_code == 404
    assert client.get("/t/FK-2026-999999").status_code == 404
    assert client.get("/t/FK-2026-AAAAA-AAAAA").status_code == 404
    assert client.get("/t/whatever").status_code == 404


def test_submit_shows_tracking_code_and_escapes_everything(client, app, point):
    resp = submit(client, text="<script>alert(1)</script>排队太久", name="<b>王</b>", phone="138 0013 8000",
                  kind="complaint")
    assert resp.status_code == 200
    code = CODE.search(resp.text).group(0)
    assert code.startswith("FK-")
    page = client.get(f"/t/{code}")
    assert page.status_code == 200 and "已受理" in page.text and "<script>alert" not in page.text
    with app.app_context():
        fb = db.session().scalar(select(Feedback))
        assert fb.screen_code == "BOX1" and fb.phone == "138 0013 8000" and fb.channel == "qr"


def test_double_submit_stores_one(client, app, point):
    key = form_key(client, f"/f/{point}")
    data = {"k": key, "kind": "praise", "text": "护士很耐心"}
    first = client.post(f"/f/{point}", data=data)
    second = client.post(f"/f/{point}", data=data)
    assert CODE.search(first.text).group(0) == CODE.search(second.text).group(0)
    assert count(app) == 1
    other = client.post(f"/f/{point}", data={**data, "text": "另一条"})
    assert other.status_code == 409 and "页面已过期" in other.text and "另一条" in other.text
    assert count(app) == 1


@pytest.mark.parametrize("fields, status, text", [
    ({"kind": ""}, 422, "此项必填"),
    ({"kind": "<x>"}, 422, "此项必填"),
    ({"text": ""}, 422, "此项必填"),
    ({"text": "长" * 1001}, 422, "最多 1000"),
    ({"phone": "abc"}, 422, "手机号格式不正确"),
    ({"name": "名" * 51}, 422, "最多 50"),
    ({"k": ""}, 400, "页面已过期"),
    ({"k": "short"}, 400, "页面已过期"),
])
def test_bad_input_is_refused_in_chinese(client, app, point, fields, status, text):
    resp = submit(client, **fields)
    assert resp.status_code == status and text in resp.text
    assert count(app) == 0


def test_honeypot_stores_nothing_but_looks_fine(client, app, point):
    resp = submit(client, website="http://spam.example")
    assert resp.status_code == 200 and "已收到" in resp.text and not CODE.search(resp.text)
    assert count(app) == 0


def _png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photo_is_verified_and_stripped(client, app, point):
    resp = submit(client, photo=(io.BytesIO(_png()), "p.jpg"))
    assert resp.status_code == 200
    with app.app_context():
        fb = db.session().scalar(select(Feedback))
        data = open(f"{app.config['MEDIA_DIR']}/{fb.photo_sha}", "rb").read()
    assert b"SecretCam" not in data and Image.open(io.BytesIO(data)).size == (40, 30)
    bad = submit(client, photo=(io.BytesIO(b"not an image"), "x.jpg"))
    assert bad.status_code == 422 and "照片无效" in bad.text
    big = submit(client, photo=(io.BytesIO(b"\xff" * (5 * 1024 * 1024 + 10)), "big.jpg"))
    assert big.status_code == 422 and "照片过大" in big.text
    assert count(app) == 1


def test_rate_limit_is_per_client(client, app, point):
    app.config["PUBLIC_RATE_LIMIT"] = 3
    codes = [submit(client, addr="10.9.9.9").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert "提交过于频繁" in submit(client, addr="10.9.9.9").text
    assert submit(client, addr="10.9.9.10").status_code == 200
    assert count(app) == 4


def test_item_context_and_auto_route(client, app, api, point):
    item = api.create(title="门诊挂号 <须知>")
    api.publish(item["id"])
    resp = client.get(f"/f/{point}?item={item['id']}")
    assert "关于：门诊挂号 &lt;须知&gt;" in resp.text
    key = KEY.search(resp.text).group(1)
    client.post(f"/f/{point}?item={item['id']}", data={"k": key, "kind": "question", "text": "几点？"})
    with app.app_context():
        fb = db.session().scalar(select(Feedback))
        assert fb.item_id == item["id"] and fb.category_id is not None
    assert client.get(f"/f/{point}?item=abc").status_code == 200
    assert client.get(f"/f/{point}?code=x&k=y").status_code == 200


def test_tracking_reply_and_one_tap_rating_through_the_rating_link(client, app, point):
    received = submit(client, phone="13800138000").text
    code = CODE.search(received).group(0)
    link = RATE_LINK.search(received).group(1)
    key = link.split("key=")[1]
    assert link.startswith(f"/t/{code}?")
    assert "尚未答复" in client.get(f"/t/{code}").text
    assert client.post(f"/t/{code}/rate", data={"rating": "satisfied", "key": key}).status_code == 409
    with app.app_context():
        s = db.session()
        fb = s.scalar(select(Feedback))
        fb.status, fb.reply = "published", "已增加座椅 <20> 张"
        s.commit()
    by_code = client.get(f"/t/{code}")                 # the code alone reads the reply, but cannot rate
    assert "已增加座椅 &lt;20&gt; 张" in by_code.text and 'value="unsatisfied"' not in by_code.text
    assert "评价链接" in by_code.text
    page = client.get(link)
    assert 'value="unsatisfied"' in page.text and f'name="key" value="{key}"' in page.text
    assert client.post(f"/t/{code}/rate", data={"rating": "bogus", "key": key}).status_code == 422
    assert client.post(f"/t/{code}/rate", data={"rating": "basic", "key": key}).status_code == 303
    assert "您的评价：基本满意" in client.get(f"/t/{code}").text
    assert client.post(f"/t/{code}/rate", data={"rating": "satisfied", "key": key}).status_code == 409


def test_lookup_by_code_or_phone_number_and_day(client, app, point):
    code = CODE.search(submit(client, phone="138-0013-8000").text).group(0)
    assert client.get(f"/t?code={code.lower()}").location.endswith(f"/t/{code}")
    assert client.get(f"/t?code={code[:-3]}").status_code == 404
    with app.app_context():
        day = db.session().scalar(select(Feedback)).received_at.astimezone(CST).date()
    found = client.get(f"/t?phone=%2B86 138 0013 8000&date={day}")
    assert found.status_code == 302 and found.location.endswith(f"/t/{code}")
    assert "key=" not in found.location                  # finding it again reads; rating needs the link
    assert client.get(f"/t?phone=13800138001&date={day}").status_code == 404
    assert client.get(f"/t?phone=13800138000&date={day - timedelta(days=1)}").status_code == 404
    bad = client.get("/t?phone=8000&date=2026-13-01")
    assert bad.status_code == 422 and "手机号格式不正确" in bad.text and "YYYY-MM-DD" in bad.text
    assert client.get("/t").status_code == 200


def request_data(client, **fields):
    data = {"k": form_key(client, "/r"), "unit": "H001", "name": "张三", "id_type": "id_card",
            "id_number": "110101199001011234", "contact": "zs@example.cn",
            "description": "2025 年大型设备采购目录", "delivery": "email"}
    data.update(fields)
    return data


def test_request_form_acknowledges_with_code(client, app):
    page = client.get("/r")
    assert "依申请公开" in page.text and "第二人民医院" in page.text
    assert len(page.data) + len(client.get("/static/public.css").data) <= 30 * 1024
    data = request_data(client)
    first, again = client.post("/r", data=data), client.post("/r", data=data)
    code = CODE.search(first.text).group(0)
    assert code.startswith("SQ-") and code in again.text
    assert count(app, InfoRequest) == 1
    status = client.get(f"/t/{code}")
    assert "已受理" in status.text and "答复期限" in status.text


@pytest.mark.parametrize("fields, status", [
    ({"name": ""}, 422), ({"id_type": "x"}, 422), ({"delivery": ""}, 422), ({"unit": "H999"}, 422),
    ({"description": "d" * 2001}, 422), ({"k": ""}, 400),
])
def test_bad_requests_are_refused(client, app, fields, status):
    resp = client.post("/r", data=request_data(client, **fields))
    assert resp.status_code == status
    assert count(app, InfoRequest) == 0


def test_request_honeypot(client, app):
    resp = client.post("/r", data=request_data(client, website="x"))
    assert resp.status_code == 200 and not CODE.search(resp.text)
    assert count(app, InfoRequest) == 0
