"""The server side of signage (docs/signage.md) over real HTTP to the app and a real SQLite file:
playlist, ticker, alert and device.signage in each screen's signed manifest; alerts through the
staff API; signage settings through approval; proof of play counted per item, screen and day."""
import csv
import io
import queue
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from werkzeug.serving import make_server

from feed_client import hydrated_manifest
from test_admin import Staff
from test_push import Stream

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

CST = timezone(timedelta(hours=8))
WEEKDAYS = [{"days": [1, 2, 3, 4, 5], "from": "08:00", "to": "17:30"}]


class Screen:
    """A signage screen enrolled, approved by root into groups with audiences, holding its token."""

    def __init__(self, api, audiences, groups, w=1920, h=1080):
        self.client = api.client
        enrol = self.client.post("/api/v1/devices/enrol", json={"kind": "signage", "screen": {"w": w, "h": h}})
        self.id = enrol.get_json()["device_id"]
        resp = api.call("POST", f"/devices/{self.id}/approve", "root",
                        json={"name": "屏" + "".join(groups), "audiences": list(audiences), "groups": list(groups)})
        assert resp.status_code == 200, resp.get_json()
        got = self.client.get(enrol.get_json()["poll"]).get_json()
        self.token, self.public_key = got["token"], got["public_key"]
        self.code = resp.get_json()["screen_code"]

    def manifest(self) -> dict:
        """Signed, fetched page by page and hydrated as the player sees it."""
        return hydrated_manifest(lambda path, headers: self.client.get(
            path, headers={"Authorization": f"Bearer {self.token}", **headers}), self.public_key)

    def report(self, batch_id, records):
        return self.client.post("/api/v1/devices/report", headers={"Authorization": f"Bearer {self.token}"},
                                json={"heartbeat": {}, "batches": [{"id": batch_id, "type": "play",
                                                                    "records": records}]})


def playing(manifest) -> dict:
    return {e["item"]: e for e in manifest["playlist"]}


def publish(api, **fields) -> dict:
    item = api.create(**fields)
    api.publish(item["id"])
    return item


@pytest.fixture
def screens(api):
    return {"lobby": Screen(api, ["patients", "public"], ["大厅"]),
            "ward": Screen(api, ["public"], ["住院部"], 1080, 1920),
            "staff": Screen(api, ["staff"], ["大厅"])}


def test_playlist_per_group_audience_and_approval(api, screens):
    start = (datetime.now(CST) - timedelta(hours=1)).replace(microsecond=0)
    end = start + timedelta(days=3)
    lobby_only = publish(api, title="门诊须知", window={"start": start.isoformat(), "end": end.isoformat()},
                         signage={"enabled": True, "slide": "notice", "duration": 1000, "order": 2,
                                  "groups": ["大厅"], "dayparts": WEEKDAYS})
    staff_only = publish(api, title="职工大会通知", audiences=["staff"],
                         signage={"enabled": True, "duration": 1, "ticker": True})
    api.create(title="未审定草稿", signage={"enabled": True, "ticker": True})
    everywhere = publish(api, title="便民服务", signage={"enabled": True, "ticker": True, "order": 1})
    lobby, ward, staff = (screens[k].manifest() for k in ("lobby", "ward", "staff"))

    assert set(playing(lobby)) == {lobby_only["id"], everywhere["id"]}
    assert [e["item"] for e in lobby["playlist"]] == [everywhere["id"], lobby_only["id"]]   # by order
    entry = playing(lobby)[lobby_only["id"]]
    assert entry["duration"] == 300 and entry["slide"] == "notice" and entry["dayparts"] == WEEKDAYS
    assert entry["revision"] == 1 and entry["title"] == "门诊须知"
    assert datetime.fromisoformat(entry["window"]["start"]) == start
    assert datetime.fromisoformat(entry["window"]["end"]) == end
    assert {i["id"]: i.get("signage") for i in lobby["items"]}[lobby_only["id"]] == {"slide": "notice", "duration": 300}
    assert set(playing(ward)) == {everywhere["id"]}                    # not in 大厅
    assert set(playing(staff)) == {lobby_only["id"], staff_only["id"], everywhere["id"]}
    staff_entries = playing(staff)
    assert staff_only["id"] in staff_entries and staff_entries[staff_only["id"]]["duration"] == 3   # clamped up
    for public in (lobby, ward):
        titles = {i["title"] for i in public["items"]} | {e["title"] for e in public["playlist"]} | {
            t["text"] for t in public["ticker"]}
        assert "职工大会通知" not in titles and "未审定草稿" not in titles
    assert [t["text"] for t in ward["ticker"]] == ["便民服务"]
    assert "职工大会通知" in [t["text"] for t in staff["ticker"]]
    assert lobby["alert"] is None and lobby["device"]["signage"] == {"opening_hours": [], "night_mode": False}


def test_rules_bring_category_items_to_a_group(app, api, screens):
    notice = publish(api, category="notices", title="任前公示")
    price = publish(api, title="CT 价格")
    root = Staff(app, "root")
    before = screens["ward"].manifest()["version"]
    resp = root.post("/admin/signage/rules", {"group": "住院部", "category": "notices", "immediate_only": "1",
                                              "slide": "auto", "duration": "2", "position": "5",
                                              "dayparts": "6,7 09:00-12:00"})
    assert resp.status_code == 302, resp.text
    ward, lobby = screens["ward"].manifest(), screens["lobby"].manifest()
    assert ward["version"] > before
    assert set(playing(ward)) == {notice["id"]} and not playing(lobby)
    assert {i["id"]: i.get("signage") for i in lobby["items"]}[notice["id"]] is None    # plays nowhere here
    entry = playing(ward)[notice["id"]]
    assert entry["duration"] == 3 and entry["order"] == 5 and entry["slide"] == "notice"
    assert entry["dayparts"] == [{"days": [6, 7], "from": "09:00", "to": "12:00"}]
    assert price["id"] not in playing(ward)
    resp = root.post("/admin/signage/rules", {"group": "大厅", "category": "prices", "window_start": "2030-01-01T08:00",
                                              "window_end": "2030-02-01T08:00"})
    assert resp.status_code == 302, resp.text
    window = playing(screens["lobby"].manifest())[price["id"]]["window"]       # item's window ∩ rule's
    assert window == {"start": "2030-01-01T08:00:00+08:00", "end": "2030-02-01T08:00:00+08:00"}
    backwards = root.post("/admin/signage/rules", {"category": "prices", "window_start": "2030-02-01T08:00",
                                                   "window_end": "2030-01-01T08:00"})
    assert backwards.status_code == 422 and "结束时间必须晚于开始时间" in backwards.text
    bad = root.post("/admin/signage/rules", {"group": "住院部", "category": "nope", "dayparts": "周八 25:00"})
    assert bad.status_code == 422 and "公开目录中没有此分类" in bad.text and "播放时段有误" in bad.text


def test_group_opening_hours_reach_the_device(app, api, screens):
    root = Staff(app, "root")
    resp = root.post("/admin/signage/groups", {"name": "大厅", "opening_hours": "1-5 07:30-18:00\n6 08:00-12:00",
                                               "night_mode": "1"})
    assert resp.status_code == 302, resp.text
    assert screens["lobby"].manifest()["device"]["signage"] == {
        "opening_hours": [{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "18:00"},
                          {"days": [6], "from": "08:00", "to": "12:00"}], "night_mode": True}
    assert screens["ward"].manifest()["device"]["signage"]["opening_hours"] == []
    bad = root.post("/admin/signage/groups", {"name": "大厅", "opening_hours": "every day"})
    assert bad.status_code == 422 and "播放时段有误" in bad.text
    assert screens["lobby"].manifest()["device"]["signage"]["night_mode"] is True   # kept
    assert Staff(app, "alice").post("/admin/signage/groups", {"name": "大厅"}).status_code == 403


def stream_state(app, device_id):
    """What the event stream compares to decide whether this screen gets a `feed` event."""
    from server import db
    from server.screens.device_info import by_id
    from server.screens.device_feed import content_state
    from server.screens.push import current_mark
    with app.app_context():
        s = db.session()
        mark = current_mark(s)
        return content_state(s, by_id(s, device_id, mark.device_epoch), mark.version)


def test_alert_raised_reaches_screens_and_clears(app, api, screens):
    before = screens["lobby"].manifest()["version"]
    state = stream_state(app, screens["lobby"].id)
    resp = api.call("POST", "/alerts", "dan", json={"title": "停电通知", "body": "门诊楼 14:00 起临时停电"})
    assert resp.status_code == 201, resp.get_json()
    assert stream_state(app, screens["lobby"].id) != state          # the stream pushes a feed event
    alert = resp.get_json()
    lobby, ward = screens["lobby"].manifest(), screens["ward"].manifest()
    assert lobby["version"] > before
    assert lobby["alert"]["id"] == alert["id"] and lobby["alert"]["title"] == "停电通知"
    assert ward["alert"]["body"] == "门诊楼 14:00 起临时停电" and lobby["alert"]["since"]
    listed = api.call("GET", "/alerts?active=1", "dan").get_json()
    assert [a["id"] for a in listed] == [alert["id"]]
    cleared = api.call("POST", f"/alerts/{alert['id']}/clear", "root")
    assert cleared.status_code == 200 and cleared.get_json()["active"] is False
    assert screens["lobby"].manifest()["alert"] is None and screens["ward"].manifest()["alert"] is None
    assert api.call("POST", f"/alerts/{alert['id']}/clear", "root").status_code == 409
    only_ward = api.call("POST", "/alerts", "dan", json={"title": "住院部探视暂停", "groups": ["住院部"]})
    assert only_ward.status_code == 201
    assert screens["ward"].manifest()["alert"]["title"] == "住院部探视暂停"
    assert screens["lobby"].manifest()["alert"] is None


ROLE_CASES = [("alice", 403), ("bob", 403), ("sue", 403), ("root", 201), ("erin", 201)]
BAD_ALERTS = [({}, "title"), ({"title": "  "}, "title"), ({"title": "x" * 101}, "title"),
              ({"title": "ok", "body": 5}, "body"), ({"title": "ok", "groups": "大厅"}, "groups"),
              ({"title": "ok", "groups": [""]}, "groups")]
BAD_SETTINGS = [({"enabled": True, "slide": "video"}, "幻灯片类型"), ({"enabled": "yes"}, "enabled"),
                ({"enabled": True, "duration": "long"}, "时长"),
                ({"enabled": True, "dayparts": [{"days": [0], "from": "08:00", "to": "09:00"}]}, "星期"),
                ({"enabled": True, "dayparts": [{"from": "8am", "to": "09:00"}]}, "HH:MM"),
                ({"enabled": True, "groups": "大厅"}, "分组"), ("on", "需要对象")]


def test_alert_roles(api):
    for user, status in ROLE_CASES:
        resp = api.call("POST", "/alerts", user, json={"title": "演练"})
        assert resp.status_code == status, (user, resp.get_json())
        if status == 403:
            assert resp.get_json()["error"] == "您没有执行此操作的角色权限"


def test_alert_of_another_unit_cannot_be_cleared(api):
    alert = api.call("POST", "/alerts", "dan", json={"title": "演练"}).get_json()
    assert api.call("POST", f"/alerts/{alert['id']}/clear", "zed").status_code == 404
    assert api.call("POST", f"/alerts/{alert['id']}/clear", "alice").status_code == 403
    assert api.client.post(f"/api/v1/alerts/{alert['id']}/clear").status_code == 401
    assert api.call("POST", "/alerts", "dan", data="not json").status_code == 400


def test_bad_alert_input(api):
    for body, field in BAD_ALERTS:
        resp = api.call("POST", "/alerts", "dan", json=body)
        assert resp.status_code == 422, body
        assert resp.get_json()["error"] == "提交的内容有误" and field in resp.get_json()["fields"], body
    assert api.call("GET", "/alerts", "dan").get_json() == []


def test_bad_signage_settings(api):
    item = api.create()
    for signage, text in BAD_SETTINGS:
        resp = api.call("POST", "/items", "alice", json={"category": "prices", "title": "t", "signage": signage})
        assert resp.status_code == 422 and text in resp.get_json()["fields"]["signage"], signage
        patched = api.call("PATCH", f"/items/{item['id']}", "alice",
                           json={"version": item["version"], "signage": signage})
        assert patched.status_code == 422, signage
    assert api.call("GET", f"/items/{item['id']}", "alice").get_json()["version"] == item["version"]
    assert len(api.call("GET", "/items", "alice").get_json()) == 1


def test_settings_edited_in_the_item_form_play_once_approved(app, api, screens):
    alice = Staff(app, "alice")
    item_id = alice.create(title="挂号须知")
    form = alice.edit_form(item_id)
    page = alice.get(f"/admin/items/{item_id}/edit").text
    assert "信息屏播放" in page and 'name="signage_dayparts"' in page
    resp = alice.post(f"/admin/items/{item_id}/edit", {
        "category": "prices", "title": "挂号须知", "body": "请携带身份证", "version": form["version"],
        "audiences": form["audiences"], "signage_form": "1", "signage_enabled": "1", "signage_slide": "notice",
        "signage_duration": "20", "signage_order": "3", "signage_groups": "大厅", "signage_dayparts": "1-5 08:00-12:00"})
    assert resp.status_code == 302, resp.text
    assert "通知 · 20 s · 大厅 · 1,2,3,4,5 08:00–12:00" in alice.get(f"/admin/items/{item_id}").text
    assert item_id not in playing(screens["lobby"].manifest())        # a draft does not play
    api.publish(item_id)
    entry = playing(screens["lobby"].manifest())[item_id]
    assert entry["duration"] == 20 and entry["order"] == 3
    assert entry["dayparts"] == [{"days": [1, 2, 3, 4, 5], "from": "08:00", "to": "12:00"}]
    assert item_id not in playing(screens["ward"].manifest())
    bad = alice.post(f"/admin/items/{alice.create(title='x')}/edit", {
        "category": "prices", "title": "x", "version": "1", "signage_form": "1", "signage_enabled": "1",
        "signage_dayparts": "下午"})
    assert bad.status_code == 422 and "播放时段有误" in bad.text


def test_statistics_slide_carries_figures(app, api, screens):
    boss = Staff(app, "boss")
    month = datetime.now(CST).strftime("%Y-%m")
    made = boss.post("/admin/satisfaction/slide", {"month": month})
    assert made.status_code == 302
    item_id = int(made.location.rstrip("/").rsplit("/", 1)[1])
    assert item_id not in playing(screens["lobby"].manifest())
    api.publish(item_id)
    lobby = screens["lobby"].manifest()
    block = {i["id"]: i for i in lobby["items"]}[item_id]["signage"]
    assert block["slide"] == "stats" and playing(lobby)[item_id]["slide"] == "stats"
    assert block["stats"] == {"month": month, "received": 0, "answered": 0, "on_time_pct": None,
                              "satisfaction_pct": None}


def test_proof_of_play_per_item_screen_day(app, api, screens):
    item = publish(api, title="便民服务", signage={"enabled": True})
    lobby, ward = screens["lobby"], screens["ward"]
    day1 = datetime(2026, 11, 20, 23, 30, tzinfo=CST)    # local days, not UTC days
    day2 = datetime(2026, 11, 21, 0, 30, tzinfo=CST)
    plays = [{"item": item["id"], "revision": 1, "start": (day1 + timedelta(minutes=m)).isoformat(), "duration": 15.0}
             for m in range(3)] + [{"item": item["id"], "revision": 1, "start": day2.isoformat(), "duration": 15}]
    assert lobby.report("p-1", plays).get_json()["accepted"] == ["p-1"]
    assert lobby.report("p-1", plays).get_json()["duplicates"] == ["p-1"]       # retried: counted once
    ward.report("w-1", plays[:1])
    root = Staff(app, "root")
    resp = root.get("/admin/signage/plays?from=2026-11-20&to=2026-11-21&format=csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日期", "屏幕", "屏幕编号"]
    counts = {(r[0], r[2], int(r[3])): int(r[5]) for r in rows[1:]}
    assert counts == {("2026-11-20", lobby.code, item["id"]): 3, ("2026-11-21", lobby.code, item["id"]): 1,
                      ("2026-11-20", ward.code, item["id"]): 1}
    page = root.get("/admin/signage/plays?from=2026-11-20&to=2026-11-21")
    assert page.status_code == 200 and "共播放 5 次" in page.text and "便民服务" in page.text
    assert root.get("/admin/signage/plays?from=2026-13-01").status_code == 422
    assert Staff(app, "alice").get("/admin/signage/plays").status_code == 403


def test_preview_shows_what_plays_now(app, api, screens):
    publish(api, title="便民服务", signage={"enabled": True, "ticker": True, "groups": ["大厅"]})
    root = Staff(app, "root")
    page = root.get("/admin/signage/preview?group=大厅&size=1080x1920")
    assert page.status_code == 200
    assert "正在播放" in page.text and "便民服务" in page.text and 'class="screen portrait"' in page.text
    assert "<svg" in page.text                                        # the corner QR code
    assert root.get("/admin/signage/preview?size=800x600").status_code == 422
    assert "Emergency alerts" in root.get("/admin/signage?lang=en").text
    sue = Staff(app, "sue").get("/admin/signage")                     # supervisors read, never change
    assert sue.status_code == 200 and 'class="raise-alert"' not in sue.text and 'class="add-rule"' not in sue.text
    assert Staff(app, "alice").get("/admin/signage/preview").status_code == 403
    api.call("POST", "/alerts", "dan", json={"title": "停电通知"})
    assert "停电通知" in root.get("/admin/signage/preview?group=大厅").text


def test_alert_is_pushed_down_the_event_stream(app, api):
    """Over a real socket: raising an alert sends `feed` to the group's screens, not to others."""
    lobby, ward = Screen(api, ["public"], ["大厅"]), Screen(api, ["public"], ["住院部"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        streams = {name: Stream(server.server_port, screen.token) for name, screen in
                   (("lobby", lobby), ("ward", ward))}
        first = {name: stream.next()[1]["version"] for name, stream in streams.items()}
        api.token("dan")
        started = time.monotonic()
        assert api.call("POST", "/alerts", "dan", json={"title": "火警演练", "groups": ["大厅"]}).status_code == 201
        name, data = streams["lobby"].next()
        print(f"alert reached the lobby stream {1000 * (time.monotonic() - started):.0f} ms after the POST")
        assert name == "feed" and data["version"] > first["lobby"]
        assert lobby.manifest()["alert"]["title"] == "火警演练"
        with pytest.raises(queue.Empty):
            streams["ward"].next(timeout=1.0)                        # its manifest did not change
        for stream in streams.values():
            stream.close()
    finally:
        server.shutdown()


def test_auto_plays_the_table_of_an_item_with_table_and_image(app, api, screens):
    """A price list with a picture: `auto` plays the table (the price list must be seen), then its image;
    an item with only an image still plays as an image."""
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (0, 120, 90)).save(out, "PNG")
    both = api.create(title="检查项目价格", signage={"enabled": True, "slide": "auto"})
    resp = api.call("PUT", f"/items/{both['id']}/table?version={both['version']}", "alice",
                    data="项目,价格（元）\n血常规,20.00\nCT平扫,300.00\n".encode())
    assert resp.status_code == 200, resp.get_json()
    picture = api.create(title="院区平面图", signage={"enabled": True, "slide": "auto"})
    for item in (both, picture):
        resp = api.call("POST", f"/items/{item['id']}/images", "alice", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(out.getvalue()), "plan.png")})
        assert resp.status_code in (200, 201), resp.get_json()
        api.publish(item["id"])
    lobby = screens["lobby"].manifest()
    assert playing(lobby)[both["id"]]["slide"] == "table"
    assert playing(lobby)[picture["id"]]["slide"] == "image"
    from content.playlist import expand_slides, playlist_at
    entries, _ = playlist_at(lobby, datetime.now(CST))
    kinds = [(s.item, s.kind) for s in expand_slides(lobby, entries, rows_per_page=12)]
    assert [k for i, k in kinds if i == both["id"]] == ["table", "image"]   # the table first, its image follows
