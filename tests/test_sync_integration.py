"""The device sync client against the real server on loopback: enrol, approve, sync media, push,
commands, reports and revocation — no fakes between them."""
import io
import json
import os

from PIL import Image

from content.manifest import verify_manifest
from screen.sync import SyncClient
from waiting import poll


def enrolled_client(api, server_url, data_dir, audiences=("public",), **kw):
    client = SyncClient(server_url, str(data_dir), kind="signage", screen=(800, 600), **kw)
    assert client.enrol_step() == "pending"
    code = client.pairing_code
    [pending] = [d for d in api.call("GET", "/devices", "root").get_json() if d["pairing_code"] == code]
    resp = api.call("POST", f"/devices/{pending['device_id']}/approve", "root",
                    json={"audiences": list(audiences), "name": "候诊区"})
    assert resp.status_code == 200
    assert client.enrol_step() == "active"
    return client


def test_enrol_sync_and_media(api, server_url, tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (200, 0, 0)).save(out, "PNG")
    item = api.create(title="带图片的公告")
    api.call("POST", f"/items/{item['id']}/images", "alice",
             data={"file": (io.BytesIO(out.getvalue()), "a.png")}, content_type="multipart/form-data")
    api.publish(item["id"])
    client = enrolled_client(api, server_url, tmp_path / "dev")
    assert client.sync_once() is True
    manifest = client.cached_manifest()
    [entry] = [i for i in manifest["items"] if i["title"] == "带图片的公告"]
    [media] = entry["media"]
    assert (media["w"], media["h"]) == (800, 600)
    assert os.path.getsize(client.media_path(media["sha256"])) == media["bytes"]
    assert client.sync_once() is False          # 304: nothing new
    again = SyncClient(server_url, str(tmp_path / "dev"), kind="signage", screen=(800, 600))
    assert again.state == "active" and again.cached_manifest() == manifest


def test_push_reaches_a_running_client(api, server_url, tmp_path):
    seen, commands = [], []
    client = enrolled_client(api, server_url, tmp_path / "dev", on_manifest=seen.append,
                             on_command=lambda name, data: commands.append(name))
    client.start()
    try:
        assert poll(lambda: seen)
        api.publish(api.create(title="实时推送")["id"])
        assert poll(lambda: any(i["title"] == "实时推送" for i in seen[-1]["items"]))
        pinned = json.loads((tmp_path / "dev" / "device.json").read_text())["public_key"]
        stored = json.loads((tmp_path / "dev" / "manifest.json").read_text())
        assert verify_manifest(stored, pinned) and stored["version"] == seen[-1]["version"]
        assert "items" not in stored and seen[-1]["item_pages"] == stored["item_pages"]
        device_id = client.device_id
        api.call("POST", f"/devices/{device_id}/commands", "root", json={"name": "identify"})
        assert poll(lambda: "identify" in commands)
    finally:
        client.stop()


def test_reports_and_revocation(api, server_url, tmp_path):
    client = enrolled_client(api, server_url, tmp_path / "dev")
    client.sync_once()
    client.queue_batch("play", [{"item": 1, "revision": 1, "duration": 8.0,
                                 "start": "2026-11-23T09:00:00+08:00"}])
    assert client.send_report() is True
    [listed] = [d for d in api.call("GET", "/devices", "root").get_json() if d["device_id"] == client.device_id]
    assert listed["online"] and listed["shown_version"] == client.cached_manifest()["version"]
    api.call("POST", f"/devices/{client.device_id}/revoke", "root")
    client.sync_once()
    assert client.state in ("revoked", "pending")
    assert client.cached_manifest() is not None     # the old content keeps showing
