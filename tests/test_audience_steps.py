"""Issue 14, item 2, written as the attack: an item for staff now and for the public from a later date
(先内后外) was in the public kiosk's signed feed today — title, body and images — and so in its on-disk
cache. Now a screen receives a revision only once a step open to one of its audiences has opened, and
the push fires at the step like at a window boundary. Real sync clients over HTTP on loopback."""
import io
import json
import os
from datetime import datetime, timedelta, timezone

import httpx
from PIL import Image

from content.model import AudiencePlan
from content.visibility import next_step_after, opens_to, screen_may_receive, step_opened_between
from content.model import Audience, Window
from screen.sync import SyncClient
from server import db
from server.disclosure.boundaries import next_boundary, open_audience_steps, start_background_jobs
from server.screens.push import current_mark
from waiting import poll

CST = timezone(timedelta(hours=8))
TITLE, BODY = "新门诊楼启用（院内先行）", "院内职工先行知悉，三日后对外公布。"


def screen(api, server_url, data_dir, audiences, **kw):
    client = SyncClient(server_url, str(data_dir), kind="kiosk", screen=(800, 600), **kw)
    assert client.enrol_step() == "pending"
    [pending] = [d for d in api.call("GET", "/devices", "root").get_json()
                 if d["pairing_code"] == client.pairing_code]
    resp = api.call("POST", f"/devices/{pending['device_id']}/approve", "root",
                    json={"audiences": list(audiences), "name": "大厅"})
    assert resp.status_code == 200
    assert client.enrol_step() == "active"
    return client


def staged_item(api, step: datetime, image: bool = False) -> dict:
    item = api.create(category="notices", title=TITLE, body=BODY,
                      audiences=[{"audiences": ["staff"], "at": None},
                                 {"audiences": ["patients", "public"], "at": step.isoformat()}])
    if image:
        out = io.BytesIO()
        Image.new("RGB", (640, 480), (20, 90, 200)).save(out, "PNG")
        resp = api.call("POST", f"/items/{item['id']}/images", "alice",
                        data={"file": (io.BytesIO(out.getvalue()), "plan.png")}, content_type="multipart/form-data")
        assert resp.status_code == 201
    return api.publish(item["id"])


def on_disk(folder) -> bytes:
    """Everything the screen keeps, every file under its data folder, concatenated."""
    out = b""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                out += name.encode() + b"\0" + fh.read()
    return out


def test_a_public_screen_does_not_hold_a_staff_first_item_before_its_step(api, server_url, tmp_path):
    staged_item(api, datetime.now(CST) + timedelta(days=3), image=True)
    public = screen(api, server_url, tmp_path / "public", ("patients", "public"))
    staff = screen(api, server_url, tmp_path / "staff", ("staff",))
    assert public.sync_once() and staff.sync_once()
    [entry] = [i for i in staff.cached_manifest()["items"] if i["title"] == TITLE]   # staff: now
    assert datetime.fromisoformat(entry["window"]["start"]) <= datetime.now(CST)
    sha = entry["media"][0]["sha256"]
    assert os.path.exists(staff.media_path(sha))
    assert TITLE not in {i["title"] for i in public.cached_manifest()["items"]}
    disk = on_disk(tmp_path / "public")
    assert TITLE.encode() not in disk and BODY.encode() not in disk and sha.encode() not in disk
    token = json.loads((tmp_path / "public" / "device.json").read_text())["token"]
    got = httpx.get(f"{server_url}/media/{sha}", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 404                 # nor can the public screen fetch its image by name


def test_the_push_fires_at_the_step(api, app, server_url, tmp_path):
    seen = []
    public = screen(api, server_url, tmp_path / "public", ("public",),
                    on_manifest=lambda m: seen.append((datetime.now(CST), m)))
    public.start()
    jobs = start_background_jobs(app)
    try:
        assert poll(lambda: seen)
        step = datetime.now(CST) + timedelta(seconds=3)
        staged_item(api, step)
        assert poll(lambda: any(TITLE in {i["title"] for i in m["items"]} for _, m in seen))
        arrived, manifest = next((at, m) for at, m in seen if TITLE in {i["title"] for i in m["items"]})
        assert arrived >= step                                 # not before the step …
        assert (arrived - step).total_seconds() < 20           # … but at it, without a publish or poll
        [entry] = [i for i in manifest["items"] if i["title"] == TITLE]
        assert datetime.fromisoformat(entry["window"]["start"]) == step
    finally:
        jobs.stop.set()
        public.stop()


def test_the_step_moves_the_feed_version_once(api, app):
    now = datetime.now(CST)
    step = now + timedelta(hours=1)
    staged_item(api, step)
    with app.app_context():
        s = db.session()
        assert next_boundary(s, now) == step
        before = current_mark(s).version
        assert open_audience_steps(s, now) is False and current_mark(s).version == before
        assert open_audience_steps(s, step + timedelta(seconds=1)) is True
        assert current_mark(s).version == before + 1
        assert open_audience_steps(s, step + timedelta(seconds=2)) is False   # delivered: once per step


def test_the_rules_for_screens():
    now = datetime(2026, 11, 24, 9, tzinfo=CST)
    plan = AudiencePlan.from_list([{"audiences": ["staff"], "at": None},
                                   {"audiences": ["public"], "at": (now + timedelta(days=1)).isoformat()}])
    later = Window(now + timedelta(days=2), None)
    staff, public = {Audience.STAFF}, {Audience.PUBLIC}
    assert screen_may_receive("published", plan, Window(), staff, now)
    assert not screen_may_receive("published", plan, Window(), public, now)
    assert screen_may_receive("published", plan, Window(), public, now + timedelta(days=1))
    assert screen_may_receive("scheduled", plan, later, staff, now)       # a future window is pre-delivered
    assert not screen_may_receive("scheduled", plan, Window(None, now), staff, now)   # ended
    assert not screen_may_receive("approved", plan, Window(), staff, now)
    assert opens_to(plan, None, public) == now + timedelta(days=1)
    assert opens_to(plan, later.start, public) == later.start
    assert opens_to(plan, None, {Audience.PARTY}) is False
    assert next_step_after([plan], now) == now + timedelta(days=1)
    assert next_step_after([plan], now + timedelta(days=1)) is None
    assert step_opened_between([plan], now, now + timedelta(days=1))
    assert not step_opened_between([plan], now + timedelta(days=1), now + timedelta(days=3))
