"""屏幕管理 in the staff HTML UI: pending screens with their pairing code, approval through the form,
edits, commands, revocation, screenshots, Chinese errors, and that other units' screens stay hidden."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from server import db
from server.screens.models import Device, DeviceCommand
from server.instance import find_unit
from test_admin import Staff
from test_devices import Screen


@pytest.fixture
def root(app):
    return Staff(app, "root")


def enrol(client, kind="signage", w=1920, h=1080) -> dict:
    resp = client.post("/api/v1/devices/enrol", json={"kind": kind, "screen": {"w": w, "h": h}})
    assert resp.status_code == 201
    return resp.get_json()


def device(app, device_id):
    with app.app_context():
        row = db.session().get(Device, device_id)
        db.session().expunge(row)
        return row


def png_bytes(size=(108, 192)):
    out = io.BytesIO()
    Image.new("RGB", size, (0, 80, 0)).save(out, "PNG")
    return out.getvalue()


APPROVE = {"name": "门诊大厅 1 号屏", "location": "门诊楼一楼", "audiences": ["public", "patients"],
           "groups": "门诊, 一楼，大屏", "orientation": "landscape"}


@pytest.mark.parametrize("method,path", [
    ("get", "/admin/screens"), ("get", "/admin/screens/{id}"), ("get", "/admin/screens/{id}/screenshot.png"),
    ("post", "/admin/screens/{id}/approve"), ("post", "/admin/screens/{id}"),
    ("post", "/admin/screens/{id}/commands"), ("post", "/admin/screens/{id}/revoke")])
def test_only_admins_of_the_unit(app, client, method, path):
    enrolled = enrol(client)
    alice = Staff(app, "alice")
    url = path.format(id=enrolled["device_id"])
    resp = alice.get(url) if method == "get" else alice.post(url, {**APPROVE, "name": "x", "confirm": "x"})
    assert resp.status_code == 403 and "您没有执行此操作的角色权限" in resp.text
    assert device(app, enrolled["device_id"]).status == "pending"


def test_nav_entry_only_for_admins(app):
    assert "屏幕管理" in Staff(app, "root").get("/admin/").text
    assert "屏幕管理" not in Staff(app, "alice").get("/admin/").text


def test_pending_screen_shows_its_pairing_code(root, client):
    enrolled = enrol(client, w=1080, h=1920)
    page = root.get("/admin/screens")
    assert page.status_code == 200
    assert enrolled["pairing_code"] in page.text and "1080×1920" in page.text
    assert "信息发布屏" in page.text and "待批准的屏幕" in page.text
    assert f'action="/admin/screens/{enrolled["device_id"]}/approve"' in page.text


def test_approve_through_the_form(app, root, client):
    enrolled = enrol(client)
    resp = root.post(f"/admin/screens/{enrolled['device_id']}/approve", APPROVE)
    assert resp.status_code == 302 and resp.location.endswith("/admin/screens")
    row = device(app, enrolled["device_id"])
    assert row.status == "active" and row.name == "门诊大厅 1 号屏" and row.location == "门诊楼一楼"
    assert row.audiences == ["patients", "public"] and row.groups == ["一楼", "大屏", "门诊"]
    assert row.orientation == "landscape" and row.screen_code.startswith("S")
    with app.app_context():
        assert row.unit_id == find_unit(db.session(), "H001").id
    got = client.get(enrolled["poll"])
    assert got.status_code == 200 and got.get_json()["token"]
    token = got.get_json()["token"]
    assert client.get("/api/v1/feed", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page = root.get("/admin/screens").text
    assert "已批准屏幕" in page and row.screen_code in page and enrolled["pairing_code"] not in page


@pytest.mark.parametrize("audiences", [[], ["aliens"]])
def test_bad_audiences_keep_the_screen_pending(app, root, client, audiences):
    enrolled = enrol(client)
    resp = root.post(f"/admin/screens/{enrolled['device_id']}/approve", {**APPROVE, "audiences": audiences})
    assert resp.status_code == 422
    assert "公开对象无效" in resp.text and "请修改标出的内容后重试" in resp.text
    assert 'value="门诊大厅 1 号屏"' in resp.text and 'value="门诊, 一楼，大屏"' in resp.text
    assert '<option value="landscape" selected>' in resp.text
    assert device(app, enrolled["device_id"]).status == "pending"
    assert client.get(enrolled["poll"]).status_code == 202


def test_errors_in_english(root, client):
    enrolled = enrol(client)
    root.get("/admin/screens?lang=en")
    resp = root.post(f"/admin/screens/{enrolled['device_id']}/approve", {**APPROVE, "audiences": []})
    assert resp.status_code == 422 and "Invalid audiences" in resp.text and "Screens awaiting approval" in resp.text


def test_active_screens_table(app, api, root):
    screen = Screen(api)
    page = root.get("/admin/screens").text
    assert "门诊大厅" in page and screen.info["screen_code"] in page and "离线" in page
    headers = {"Authorization": f"Bearer {screen.token}"}
    shown = screen.get("/api/v1/feed").headers["ETag"]
    api.publish(api.create(title="新公告")["id"])          # the screen has not fetched this yet
    beat = {"heartbeat": {"shown_version": 1, "shown_etag": shown, "last_error": "网络超时"}}
    assert api.client.post("/api/v1/devices/report", json=beat, headers=headers).status_code == 200
    page = root.get("/admin/screens").text
    assert "在线" in page and "网络超时" in page and "落后" in page
    beat["heartbeat"]["shown_etag"] = screen.get("/api/v1/feed").headers["ETag"]
    api.client.post("/api/v1/devices/report", json=beat, headers=headers)
    assert "落后" not in root.get("/admin/screens").text
    api.publish(api.create(category="finance", title="内部")["id"])   # not for this screen
    assert "落后" not in root.get("/admin/screens").text


def test_edit_a_screen(app, api, root):
    screen = Screen(api)
    page = root.get(f"/admin/screens/{screen.id}")
    assert page.status_code == 200 and 'value="门诊大厅"' in page.text
    resp = root.post(f"/admin/screens/{screen.id}", {"name": "住院部电梯厅", "location": "二楼",
                                                     "audiences": ["staff", "party"], "groups": "住院",
                                                     "orientation": "portrait"})
    assert resp.status_code == 302
    row = device(app, screen.id)
    assert (row.name, row.location, row.audiences, row.groups, row.orientation) == \
        ("住院部电梯厅", "二楼", ["party", "staff"], ["住院"], "portrait")
    bad = root.post(f"/admin/screens/{screen.id}", {"name": "长" * 101, "location": "二楼",
                                                    "audiences": ["staff"], "groups": "", "orientation": "sideways"})
    assert bad.status_code == 422 and "内容过长（最多 100 个字符）" in bad.text and "提交的内容有误" in bad.text
    assert device(app, screen.id).name == "住院部电梯厅"


@pytest.mark.parametrize("name", ["reload", "screenshot", "identify"])
def test_command_is_queued(app, api, root, name):
    screen = Screen(api)
    resp = root.post(f"/admin/screens/{screen.id}/commands", {"name": name})
    assert resp.status_code == 302
    with app.app_context():
        queued = db.session().scalars(select(DeviceCommand.name).where(DeviceCommand.device_id == screen.id)).all()
    assert queued == [name]
    assert "已发送指令" in root.get(resp.location).text


def test_unknown_command_is_refused(app, api, root):
    screen = Screen(api)
    assert root.post(f"/admin/screens/{screen.id}/commands", {"name": "dance"}).status_code == 422


def test_revoke_needs_the_code_and_cuts_the_screen_off(app, api, root):
    screen = Screen(api)
    code = screen.info["screen_code"]
    wrong = root.post(f"/admin/screens/{screen.id}/revoke", {"confirm": "S00000"})
    assert wrong.status_code == 422 and "编号不符" in wrong.text
    assert screen.get("/api/v1/feed").status_code == 200
    resp = root.post(f"/admin/screens/{screen.id}/revoke", {"confirm": code.lower()})
    assert resp.status_code == 302 and device(app, screen.id).status == "revoked"
    assert screen.get("/api/v1/feed").status_code == 401
    page = root.get("/admin/screens").text
    assert "已撤销的屏幕" in page and "<details" in page
    assert "该屏幕已撤销" in root.get(f"/admin/screens/{screen.id}").text


def test_reject_a_pending_screen(app, root, client):
    enrolled = enrol(client)
    resp = root.post(f"/admin/screens/{enrolled['device_id']}/revoke", {"confirm": enrolled["pairing_code"]})
    assert resp.status_code == 302 and device(app, enrolled["device_id"]).status == "revoked"
    assert client.get(enrolled["poll"]).status_code == 410


def test_screenshot_is_shown_after_upload(app, api, root):
    screen = Screen(api)
    page = root.get(f"/admin/screens/{screen.id}").text
    assert "暂无截屏" in page
    assert root.get(f"/admin/screens/{screen.id}/screenshot.png").status_code == 404
    up = api.client.post("/api/v1/devices/screenshot", data=png_bytes(), content_type="image/png",
                         headers={"Authorization": f"Bearer {screen.token}"})
    assert up.status_code == 201
    page = root.get(f"/admin/screens/{screen.id}").text
    src = re.search(r'<img src="([^"]+screenshot\.png[^"]*)"', page).group(1).replace("&amp;", "&")
    got = root.get(src)
    assert got.status_code == 200 and got.mimetype == "image/png"
    assert Image.open(io.BytesIO(got.data)).size == (108, 192)


def test_screens_of_another_unit_are_hidden(app, root):
    with app.app_context():
        s = db.session()
        s.add(Device(id="h2screen", kind="kiosk", screen_w=1080, screen_h=1920, status="active",
                     pairing_code="ZZZZZZ", unit_id=find_unit(s, "H002").id, screen_code="SH2H2H",
                     name="二院大厅", audiences=["public"]))
        s.commit()
    assert "二院大厅" not in root.get("/admin/screens").text
    for path in ("/admin/screens/h2screen", "/admin/screens/h2screen/screenshot.png"):
        assert root.get(path).status_code == 404
    assert root.post("/admin/screens/h2screen/commands", {"name": "reload"}).status_code == 404
    assert root.post("/admin/screens/h2screen/revoke", {"confirm": "SH2H2H"}).status_code == 404
    assert device(app, "h2screen").status == "active"


def test_csrf_is_required(app, root, client):
    enrolled = enrol(client)
    resp = root.post(f"/admin/screens/{enrolled['device_id']}/approve", APPROVE, csrf=False)
    assert resp.status_code == 400 and device(app, enrolled["device_id"]).status == "pending"
