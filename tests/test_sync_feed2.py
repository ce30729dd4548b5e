"""SyncClient on feed protocol version 2 against the fake server: the manifest an event carries is
applied without a second request; files from events and downloads are hash-checked (a bad one is
discarded and fetched again, never shown); what the server cannot serve keeps the old content and
says so in the heartbeat; damaged cache files are repaired; hydration; the clock from Server-Time;
unreferenced files kept for a grace period."""
import json
import os
import time
from datetime import timedelta

import httpx
import pytest

from content.feedpages import LONG_BODY
from content.manifest import generate_keypair, sign_manifest
from device_fakes import SERVER_TIME, FakeServer, enrolled, sha
from screen.sync import SyncClient

OLD = {"ct": b"CT 300" * 50}
NEW = {"ct": b"CT 300" * 50, "mri": b"MRI 800" * 50}


@pytest.fixture
def server():
    fake = FakeServer()
    fake.publish(1, OLD)
    return fake


@pytest.fixture
def client(server, tmp_path):
    client = enrolled(server, tmp_path, gc_grace_seconds=0)
    assert client.sync_once() is True
    return client


def feed_event(server, version, files=(), device_id="dev-1", signing_key=None, blobs=None) -> bytes:
    """An `event: feed` as the server sends it: the signed manifest and the files named (or `blobs`
    as given)."""
    signed = server.signed(device_id) if signing_key is None else sign_manifest(
        server.signed(device_id), signing_key)
    if blobs is None:
        blobs = {name: server.media[name].decode("utf-8") for name in files}
    data = json.dumps({"version": version, "manifest": signed, "blobs": blobs}, ensure_ascii=False)
    return f"id: {version}\nevent: feed\ndata: {data}\n\n".encode("utf-8")


def listen(client, server, *events):
    server.event_streams = [list(events)]
    assert client.listen_once() is True


def titles(client):
    return [i["title"] for i in client.cached_manifest()["items"]]


def test_a_pushed_manifest_is_applied_without_asking_the_feed(server, client):
    seen = []
    client.on_manifest = seen.append
    server.publish(2, NEW)
    new_page = server.pages()[0]
    feeds = len(server.paths("/api/v1/feed"))
    listen(client, server, feed_event(server, 2, [new_page]))
    assert client.sync_once() is True
    assert len(server.paths("/api/v1/feed")) == feeds              # no second request for the manifest
    fetched = [r.url.path for r in server.requests if r.url.path.startswith("/media/")]
    assert f"/media/{new_page}" not in fetched                      # the event carried it
    assert fetched[-1] == f"/media/{sha(NEW['mri'])}"               # only the new image downloaded
    assert seen[-1]["version"] == 2 and client.shown_version == 2
    assert sorted(titles(client)) == ["ct 价格表", "mri 价格表"]


def test_a_file_in_an_event_that_does_not_match_its_hash_is_fetched_again(server, client):
    server.publish(2, NEW)
    page = server.pages()[0]
    altered = server.media[page].decode("utf-8").replace("mri", "MRI")   # the event's copy is altered
    listen(client, server, feed_event(server, 2, blobs={page: altered}))
    assert client.sync_once() is True
    assert f"/media/{page}" in server.paths("/media/")             # discarded, downloaded instead
    assert sorted(titles(client)) == ["ct 价格表", "mri 价格表"]


def test_a_pushed_manifest_with_a_bad_signature_falls_back_to_the_feed(server, client):
    server.publish(2, NEW)
    listen(client, server, feed_event(server, 2, signing_key=generate_keypair()[0]))
    feeds = len(server.paths("/api/v1/feed"))
    assert client.sync_once() is True                               # from GET /feed, correctly signed
    assert len(server.paths("/api/v1/feed")) == feeds + 1
    assert "event: bad signature" in client.last_error
    assert client.shown_version == 2


def test_a_manifest_for_another_screen_is_refused(server, client):
    server.publish(2, NEW)
    listen(client, server, feed_event(server, 2, device_id="dev-7"))
    feeds = len(server.paths("/api/v1/feed"))
    assert client.sync_once() is True and len(server.paths("/api/v1/feed")) == feeds + 1
    assert "another screen" in client.last_error
    server.override = lambda request: httpx.Response(200, json=server.signed("dev-7"))
    server.publish(3, OLD)
    assert client.sync_once() is False and "another screen" in client.last_error
    assert client.shown_version == 2


def test_an_older_pushed_manifest_is_ignored(server, client):
    server.publish(2, NEW)
    assert client.sync_once() is True
    server.publish(1, OLD)
    listen(client, server, feed_event(server, 1))
    server.publish(2, NEW)
    assert client.sync_once() is False and client.shown_version == 2   # the feed says: still 2


def test_a_file_the_server_cannot_serve_keeps_the_old_content_and_is_reported(server, client):
    server.publish(2, NEW)
    [page] = server.pages()
    server.unservable.add(page)                                    # e.g. lost from the server's disk
    assert client.sync_once() is False
    assert client.shown_version == 1 and titles(client) == ["ct 价格表"]
    assert client.last_error == f"media {page[:12]}: HTTP 404"
    assert client.send_report() is True
    assert server.reports[-1]["heartbeat"]["last_error"] == f"media {page[:12]}: HTTP 404"
    assert server.reports[-1]["heartbeat"]["shown_version"] == 1


def test_a_damaged_page_in_the_cache_is_repaired(server, client, tmp_path):
    [page] = server.pages()
    with open(tmp_path / "media" / page, "r+b") as fh:
        fh.write(b"X")
    fresh = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    assert fresh.cached_manifest() is None                         # never shown damaged
    assert not os.path.exists(tmp_path / "media" / page)           # discarded
    assert fresh.sync_once() is True and titles(fresh) == ["ct 价格表"]
    assert server.paths("/media/")[-1] == f"/media/{page}"


def test_a_protocol_1_manifest_is_refused(server, client):
    server.override = lambda request: httpx.Response(200, json=sign_manifest(
        {"version": 9, "device": {"device_id": "dev-1"}, "items": []}, server.private))
    assert client.sync_once() is False
    assert "protocol" in client.last_error and client.shown_version == 1


def test_hydration_fills_catalog_tables_long_bodies_and_feedback_links(server, client):
    table = {"columns": ["编码", "项目"], "rows": [["1", "血常规"], ["2", "CT"]]}
    long_body = "正文" * LONG_BODY
    server.manifest["catalog"] = [{"id": "prices", "name": "医疗服务价格"}]
    server.manifest["items"][0].update(table=table, body=long_body)
    server.manifest["version"] = 2
    assert client.sync_once() is True
    manifest = client.cached_manifest()
    [item] = manifest["items"]
    assert item["table"] == table and item["body"] == long_body
    assert item["feedback_url"] == f"https://x/f/1?item={item['id']}"
    assert manifest["catalog"] == [{"id": "prices", "name": "医疗服务价格"}]
    with open(os.path.join(client.data_dir, "manifest.json")) as fh:
        stored = json.load(fh)
    assert "items" not in stored and "catalog" not in stored        # on disk: the signed manifest as sent
    assert client.cached_manifest() is manifest                     # hydrated once per ETag


def test_clock_from_the_server_time_header_not_the_signing_time(server, tmp_path):
    local = SERVER_TIME.timestamp() - 3600
    now = {"t": local}
    client = enrolled(server, tmp_path, clock=lambda: now["t"])
    server.server_time = SERVER_TIME
    assert client.sync_once() is True
    assert client.server_now() == SERVER_TIME
    server.server_time = SERVER_TIME + timedelta(minutes=30, milliseconds=250)   # a 304, later
    now["t"] = local + 1800.25
    assert client.sync_once() is False
    assert client.server_now() == SERVER_TIME + timedelta(minutes=30, milliseconds=250)
    assert client.cached_manifest()["server_time"] == SERVER_TIME.isoformat()    # when it was signed


def test_unreferenced_files_stay_for_the_grace_period(server, tmp_path):
    client = enrolled(server, tmp_path, gc_grace_seconds=3600)
    assert client.sync_once() is True
    old_page = server.pages()[0]
    server.publish(2, NEW)
    assert client.sync_once() is True
    assert os.path.exists(client.media_path(old_page))              # kept: content may flip back
    server.publish(3, OLD)
    fetched = len(server.paths("/media/"))
    assert client.sync_once() is True and len(server.paths("/media/")) == fetched   # nothing to fetch
    long_ago = time.time() - 3600 - 60
    os.utime(client.media_path(sha(NEW["mri"])), (long_ago, long_ago))   # unreferenced since then
    SyncClient("http://screens.test", str(tmp_path), transport=server.transport, gc_grace_seconds=3600)
    assert not os.path.exists(client.media_path(sha(NEW["mri"])))    # unreferenced too long: gone
