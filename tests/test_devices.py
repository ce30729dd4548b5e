"""Device protocol (docs/architecture.md, device protocol) over the Flask test client: enrolment, feed, media, reports, admin."""
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from content.manifest import verify_manifest
from feed_client import hydrated_manifest, signed_manifest

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

CST = timezone(timedelta(hours=8))


class Screen:
    """A device as the server sees it: enrols, gets approved by root, collects its token."""

    def __init__(self, api, kind="kiosk", audiences=("public", "patients"), w=1080, h=1920, unit=None):
        self.api, self.client = api, api.client
        resp = self.client.post("/api/v1/devices/enrol", json={"kind": kind, "screen": {"w": w, "h": h}})
        assert resp.status_code == 201, resp.get_json()
        self.enrolment = resp.get_json()
        self.id = self.enrolment["device_id"]
        body = {"name": "门诊大厅", "location": "一楼", "audiences": list(audiences)}
        if unit:
            body["unit"] = unit
        approved = api.call("POST", f"/devices/{self.id}/approve", "root", json=body)
        assert approved.status_code == 200, approved.get_json()
        self.info = approved.get_json()
        got = self.client.get(self.enrolment["poll"])
        assert got.status_code == 200
        self.token, self.public_key = got.get_json()["token"], got.get_json()["public_key"]

    def get(self, path, **kw):
        headers = kw.pop("headers", {})
        headers["Authorization"] = f"Bearer {self.token}"
        return self.client.get(path, headers=headers, **kw)

    def _get(self, path, headers):
        return self.get(path, headers=dict(headers))

    def signed(self):
        """The manifest as sent: signed, version 2, items in pages."""
        return signed_manifest(self._get, self.public_key)

    def manifest(self):
        """The manifest as the screen apps see it (pages and blobs fetched, hydrated)."""
        return hydrated_manifest(self._get, self.public_key)

    def titles(self):
        return {i["title"] for i in self.manifest()["items"]}


def test_enrolment_flow(api, client):
    resp = client.post("/api/v1/devices/enrol", json={"kind": "signage", "screen": {"w": 1920, "h": 1080}})
    assert resp.status_code == 201
    body = resp.get_json()
    assert set(body) == {"device_id", "pairing_code", "poll"}
    assert len(body["pairing_code"]) == 6 and body["poll"] == f"/api/v1/devices/enrol/{body['device_id']}"
    assert client.get(body["poll"]).status_code == 202
    listed = api.call("GET", "/devices", "root").get_json()
    assert any(d["pairing_code"] == body["pairing_code"] and d["status"] == "pending" for d in listed)
    assert client.get("/api/v1/feed", headers={"Authorization": "Bearer x"}).status_code == 401
    api.call("POST", f"/devices/{body['device_id']}/approve", "root", json={"audiences": ["public"]})
    first = client.get(body["poll"])
    assert first.status_code == 200 and set(first.get_json()) == {"token", "public_key"}
    assert client.get(body["poll"]).status_code == 410   # exactly once
    assert client.get("/api/v1/devices/enrol/nope").status_code == 404


@pytest.mark.parametrize("body", [{"kind": "toaster", "screen": {"w": 1, "h": 1}}, {"kind": "kiosk"},
                                  {"kind": "kiosk", "screen": {"w": "wide", "h": 10}},
                                  {"kind": "kiosk", "screen": {"w": 50, "h": 99999}}, ["x"]])
def test_bad_enrolment(client, body):
    resp = client.post("/api/v1/devices/enrol", json=body)
    assert resp.status_code in (400, 422) and resp.get_json()["error"]


def test_only_admins_of_the_unit_administer_screens(api):
    enrol = api.client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 800, "h": 600}})
    device_id = enrol.get_json()["device_id"]
    assert api.call("POST", f"/devices/{device_id}/approve", "alice", json={"audiences": ["public"]}).status_code == 404
    assert api.call("GET", "/devices", "alice").status_code == 403
    assert api.client.get("/api/v1/devices").status_code == 401
    bad = api.call("POST", f"/devices/{device_id}/approve", "root", json={"audiences": ["aliens"]})
    assert bad.status_code == 422 and "audiences" in bad.get_json()["fields"]


def test_screen_administration_takes_bearer_tokens_only(api):
    """A logged-in admin's session cookie (the HTML UI's) does not open the JSON screen API: cookies
    are for forms with CSRF tokens, so a page on another site cannot approve or revoke a screen."""
    from conftest import PASSWORD
    client = api.client
    enrol = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 800, "h": 600}})
    device_id = enrol.get_json()["device_id"]
    page = client.get("/admin/login").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/admin/login", data={"username": "root", "password": PASSWORD,
                                             "csrf_token": csrf}).status_code == 302
    assert client.get("/admin/screens").status_code == 200          # the session works for HTML
    for method, path, body in [("GET", "/api/v1/devices", None),
                               ("POST", f"/api/v1/devices/{device_id}/approve", {"audiences": ["public"]}),
                               ("POST", f"/api/v1/devices/{device_id}/commands", {"name": "reload"}),
                               ("POST", f"/api/v1/devices/{device_id}/revoke", {}),
                               ("GET", f"/api/v1/devices/{device_id}/screenshot", None)]:
        resp = client.open(path, method=method, json=body)
        assert resp.status_code == 401, (path, resp.status_code)
    assert api.call("GET", "/devices", "root").status_code == 200   # the bearer token works


def test_feed_is_signed_filtered_and_cached(api):
    public, staff = Screen(api), Screen(api, audiences=("staff",))
    item = api.publish(api.create(title="公开价格")["id"])
    internal = api.create(category="finance", title="财务收支（内部）")
    api.publish(internal["id"])
    api.create(title="未审批草稿")
    signed = public.signed()
    assert {"protocol", "version", "server_time", "scope", "device", "catalog_blob", "item_pages", "playlist",
            "ticker", "alert", "signature", "device_signature"} == set(signed)
    assert signed["scope"] == {"unit": "H001", "audiences": ["patients", "public"], "groups": [],
                               "screen": {"w": 1080, "h": 1920}}
    others = staff.signed()
    assert others["scope"]["audiences"] == ["staff"]
    mixed = {**others, "device": signed["device"], "device_signature": signed["device_signature"]}
    assert not verify_manifest(mixed, public.public_key)           # a staff feed on a public screen
    assert signed["device"]["feedback_base"] == f"http://127.0.0.1:8080/f/{public.info['screen_code']}"
    manifest = public.manifest()
    assert public.titles() == {"公开价格"}
    assert staff.titles() == {"公开价格", "财务收支（内部）"}
    [entry] = manifest["items"]
    assert entry["feedback_url"] == f"http://127.0.0.1:8080/f/{public.info['screen_code']}?item={item['id']}"
    assert {c["id"] for c in manifest["catalog"]} >= {"prices"}
    assert "finance" not in {c["id"] for c in manifest["catalog"]}
    tampered = dict(signed, item_pages=[])
    assert not verify_manifest(tampered, public.public_key)
    resp = public.get("/api/v1/feed")
    again = public.get("/api/v1/feed", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_withdrawn_item_leaves_the_feed_and_the_version_moves(api):
    screen = Screen(api)
    item = api.publish(api.create(title="将撤销")["id"])
    before = screen.manifest()
    api.act(item["id"], "withdraw", "erin", comment="有误")
    after = screen.manifest()
    assert after["version"] > before["version"]
    assert "将撤销" not in {i["title"] for i in after["items"]}
    assert any(i["title"].startswith("撤销说明") for i in after["items"])


def test_staff_first_then_public(api):
    widen = datetime.now(CST) + timedelta(days=2)
    item = api.create(title="先内后外", audiences=[{"audiences": ["staff"], "at": None},
                                                {"audiences": ["public"], "at": widen.isoformat()}])
    api.publish(item["id"])
    staff, public = Screen(api, audiences=("staff",)), Screen(api, audiences=("public",))
    [s_item] = [i for i in staff.manifest()["items"] if i["title"] == "先内后外"]
    assert datetime.fromisoformat(s_item["window"]["start"]) < widen
    # the public screen does not receive it before its step: not in its signed feed, so not on its disk
    assert "先内后外" not in {i["title"] for i in public.manifest()["items"]}


def test_revoked_device_gets_401(api):
    screen = Screen(api)
    assert api.call("POST", f"/devices/{screen.id}/revoke", "root").status_code == 200
    assert screen.get("/api/v1/feed").status_code == 401
    assert screen.get("/api/v1/events").status_code == 401


def test_media_is_scaled_for_the_screen_and_only_for_its_feed(api):
    out = io.BytesIO()
    Image.new("RGB", (3840, 2160), (10, 120, 200)).save(out, "JPEG")
    item = api.create(title="大图")
    resp = api.call("POST", f"/items/{item['id']}/images", "alice",
                    data={"file": (io.BytesIO(out.getvalue()), "big.jpg")}, content_type="multipart/form-data")
    original = resp.get_json()["media"][0]["sha256"]
    api.publish(item["id"])
    screen, staff_only = Screen(api, w=1080, h=1920), Screen(api, audiences=("party",))
    [media] = screen.manifest()["items"][0]["media"]
    assert (media["w"], media["h"]) == (1080, 608) and media["sha256"] != original
    got = screen.get(f"/media/{media['sha256']}")
    assert got.status_code == 200 and len(got.data) == media["bytes"]
    assert Image.open(io.BytesIO(got.data)).size == (1080, 608)
    assert "immutable" in got.headers["Cache-Control"]
    assert screen.get(f"/media/{original}").status_code == 404
    assert staff_only.get(f"/media/{media['sha256']}").status_code == 404


def test_report_counts_a_retried_batch_once(api):
    screen = Screen(api)
    batch = {"id": "b-1", "type": "play", "records": [{"item": 1, "revision": 1, "duration": 10,
                                                       "start": "2026-11-23T09:00:00+08:00"}]}
    body = {"heartbeat": {"shown_version": 3, "app_version": "0.1", "last_error": "磁盘已满"},
            "batches": [batch]}
    headers = {"Authorization": f"Bearer {screen.token}"}
    first = api.client.post("/api/v1/devices/report", json=body, headers=headers).get_json()
    second = api.client.post("/api/v1/devices/report", json=body, headers=headers).get_json()
    assert first == {"accepted": ["b-1"], "duplicates": []}
    assert second == {"accepted": [], "duplicates": ["b-1"]}
    [listed] = [d for d in api.call("GET", "/devices", "root").get_json() if d["device_id"] == screen.id]
    assert listed["shown_version"] == 3 and listed["health"]["last_error"] == "磁盘已满" and listed["online"]
    bad = api.client.post("/api/v1/devices/report", json={"batches": [{"id": 5}]}, headers=headers)
    assert bad.status_code == 422


def test_commands_and_screenshots(api):
    screen = Screen(api)
    assert api.call("POST", f"/devices/{screen.id}/commands", "root", json={"name": "dance"}).status_code == 422
    assert api.call("POST", f"/devices/{screen.id}/commands", "root", json={"name": "screenshot"}).status_code == 202
    assert api.call("GET", f"/devices/{screen.id}/screenshot", "root").status_code == 404
    png = io.BytesIO()
    Image.new("RGB", (108, 192), (0, 80, 0)).save(png, "PNG")
    up = api.client.post("/api/v1/devices/screenshot", data=png.getvalue(), content_type="image/png",
                         headers={"Authorization": f"Bearer {screen.token}"})
    assert up.status_code == 201
    got = api.call("GET", f"/devices/{screen.id}/screenshot", "root")
    assert got.status_code == 200 and Image.open(io.BytesIO(got.data)).size == (108, 192)


def test_server_etag_matches_what_a_restarted_device_computes(api):
    from content.manifest import etag_for
    screen = Screen(api)
    api.publish(api.create(title="校验")["id"])
    resp = screen.get("/api/v1/feed")
    assert resp.headers["ETag"] == etag_for(json.loads(resp.data))
