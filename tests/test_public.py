"""The public phone pages through Flask's test client: the QR form, tracking page, rating, request
form; bad input, honeypot, idempotency, rate limits per client, escaping, size and language."""
import io
import re
from datetime import date, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from server import db
from server.hearing.models import Feedback, InfoRequest

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

KEY = re.compile(r'name="k" value="([^"]+)"')
CST = timezone(timedelta(hours=8))
CODE = re.compile(r"(FK|SQ)-\d{4}-[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}")
RATE_LINK = re.compile(r'id="rating-link">http://[^/]+(/t/[^<"?]+\?key=[a-z2-7]+)<')


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


@pytest.mark.parametrize("path, title, entered", [
    ("/f/NOPE", "无法识别这个二维码", None), ("/f/bad%20code", "无法识别这个二维码", None),
    ("/t/FK-2026-999999", "没有找到这个查询码", "FK-2026-999999"), ("/t/whatever", "没有找到这个查询码", "whatever"),
    ("/t?code=FK-2O26-12345", "没有找到这个查询码", "FK-2O26-12345"), ("/t?code=123456", "没有找到这个查询码", "123456"),
    ("/t/SQ-2026-000001/rate", "没有找到这个查询码", "SQ-2026-000001"),
])
def test_not_found_pages_are_friendly_with_the_lookup_form(client, path, title, entered):
    """Under the public header (not the staff one), a hint, the lookup form holding what was typed, and
    the way on to a request; no bare status code."""
    resp = client.get(path) if not path.endswith("/rate") else client.post(path, data={"rating": "basic"})
    page = resp.text
    assert resp.status_code == 404 and f"<h1>{title}</h1>" in page
    assert "院务公开管理" not in page and "HTTP 404" not in page and "404" not in page.split("<main>")[1]
    assert 'action="/t"' in page and 'name="code"' in page and 'name="phone"' in page and 'name="date"' in page
    assert 'href="/r' in page and "<script" not in page
    if entered:
        assert f'value="{entered}"' in page and f"您输入的是：{entered}" in page
    english = client.get(path + ("&" if "?" in path else "?") + "lang=en") if not path.endswith("/rate") else None
    if english is not None:
        assert english.status_code == 404 and 'lang="en"' in english.text and "tracking code" in english.text


def test_tracking_shows_the_persons_own_words_and_a_provisional_date(client, app, point):
    code = CODE.search(submit(client, text="夜间急诊 <缴费> 排队太久").text).group(0)
    page = client.get(f"/t/{code}").text
    assert "您的留言" in page and "夜间急诊 &lt;缴费&gt; 排队太久" in page and "调休" not in page
    with app.app_context():
        s = db.session()
        fb = s.scalar(select(Feedback))
        fb.due_date = date(2027, 3, 1)   # a year whose 调休 is not published yet
        s.commit()
    page = client.get(f"/t/{code}").text
    assert "我们将在 2027-03-01 前答复" in page and "调休安排公布后可能调整" in page


def test_request_receipt_and_status_say_when_a_date_may_move(client, app, monkeypatch):
    from server.hearing import requests as rqs
    monkeypatch.setattr(rqs, "due_after", lambda s, start, days: date(2027, 1, 4))   # whatever today is
    resp = client.post("/r", data=request_data(client, description="2026 年药品 <采购> 目录"))
    assert "2027-01-04" in resp.text and "调休安排公布后可能调整" in resp.text
    code = CODE.search(resp.text).group(0)
    status = client.get(f"/t/{code}").text
    assert "您申请的信息" in status and "2026 年药品 &lt;采购&gt; 目录" in status and "调休安排公布后可能调整" in status


@pytest.mark.parametrize("number, message", [
    ("12345", "应为 18 位"), ("11010119900101123", "应为 18 位"), ("1101011990010112AB", "17 位数字"),
    ("110101199002301234", "出生日期不存在"), ("110101209901011234", "出生日期不存在"),
    ("110101199001011234", "校验位不符"), ("11010519491231002Y", "17 位数字"), ("11010519491231002 ", "应为 18 位"),
])
def test_resident_id_numbers_are_checked_by_gb11643(client, app, number, message):
    resp = client.post("/r", data=request_data(client, id_number=number))
    assert resp.status_code == 422 and message in resp.text and 'aria-invalid="true"' in resp.text
    assert count(app, InfoRequest) == 0


def test_good_id_numbers_pass_and_other_documents_are_not_checked(client, app):
    assert client.post("/r", data=request_data(client, id_number="11010519491231002x ")).status_code == 200
    assert client.post("/r", data=request_data(client, id_type="passport", id_number="E12345678")).status_code == 200
    with app.app_context():
        assert sorted(db.session().scalars(select(InfoRequest.id_number))) == ["11010519491231002X", "E12345678"]
    en = client.post("/r?lang=en", data=request_data(client, id_number="110101199001011234"))
    assert en.status_code == 422 and "check character" in en.text


def test_request_form_preset_from_the_scanned_code_with_a_data_notice(client, app, point):
    page = client.get("/r").text
    assert '<option value="" selected>请选择单位</option>' in page      # no silent default unit
    assert "院务公开 · 依申请公开" in page and "意见反馈" not in page.split("</header>")[0]
    assert "个人信息说明" in page and "随案卷按档案管理规定保存" in page
    preset = client.get("/r?at=box1").text
    assert '<option value="H001" selected>' in preset and 'action="/r?at=box1"' in preset
    assert '<option value="" selected>' not in preset
    assert 'href="/r?at=BOX1"' in client.get(f"/f/{point}").text       # the way there from the QR form
    assert '<option value="" selected>' in client.get("/r?at=NOPE").text  # unknown code: nothing preset
    app.config["FEEDBACK_PERSONAL_DATA_MONTHS"] = 24
    assert "办结 24 个月后删除" in client.get("/r").text and "办结 24 个月后删除" in client.get(f"/f/{point}").text


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
    before = client.get(f"/t/{code}").text
    assert "候诊区座椅不够" in before and "我们将在" in before and "答复发布后会显示在这里" in before
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
            "id_number": "110101199001011237", "contact": "zs@example.cn",
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
