"""SyncClient against a fake server (httpx.MockTransport): enrolment, feed, cache switch, errors,
revocation, reports and the clock offset. Events and the background loop: test_sync_events.py;
real processes killed mid-download: test_sync_crash.py."""
import errno
import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import httpx
import pytest

import screen.cache as cache_module
import screen.sync as sync_module
from content.manifest import generate_keypair, verify_manifest
from screen.sync import SyncClient
from device_fakes import SERVER_TIME, FakeServer, enrolled, sha

OLD = {"ct": b"CT 300" * 50, "mri": b"MRI 800" * 50}
NEW = {"mri": b"MRI 800" * 50, "xray": b"X-ray 90" * 200}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def server():
    return FakeServer()


@pytest.fixture
def applied(server, tmp_path):
    """An active client that has applied version 1 (OLD)."""
    server.publish(1, OLD)
    client = enrolled(server, tmp_path, gc_grace_seconds=0)
    assert client.sync_once() is True
    return client


def media_files(tmp_path):
    return sorted(os.listdir(tmp_path / "media"))


def media_only(tmp_path, server):
    """The cached files that are media (not the feed's pages and catalog)."""
    return sorted(set(media_files(tmp_path)) - set(server.feed_files()))


def assert_shows(client, version, files):
    manifest = client.cached_manifest()
    assert manifest is not None and manifest["version"] == version
    for data in files.values():
        path = client.media_path(sha(data))
        assert open(path, "rb").read() == data


def test_exported_surface():
    assert set(sync_module.__all__) == {"KINDS", "STATES", "SyncClient", "SyncError"}
    assert all(hasattr(sync_module, name) for name in sync_module.__all__)


def test_content_imports_neither_flask_nor_kivy_nor_server():
    code = ("import sys, screen.sync, content.manifest, screen.cache, screen.events; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'kivy', 'server')); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("kwargs", [{"kind": "tv"}, {"screen": (0, 100)}, {"screen": ("a", 1)}])
def test_bad_arguments_raise(tmp_path, kwargs):
    with pytest.raises(ValueError):
        SyncClient("http://x", str(tmp_path), **kwargs)


# ---- enrolment ---------------------------------------------------------------------------------
def test_enrolment_flow_and_persistence(server, tmp_path):
    states = []
    client = SyncClient("http://screens.test/", str(tmp_path), kind="signage", screen=(1920, 1080),
                        transport=server.transport, on_status=states.append)
    assert client.state == "unenrolled" and client.pairing_code is None
    assert client.sync_once() is False and client.send_report() is False  # nothing before a token
    assert client.enrol_step() == "pending"
    assert client.pairing_code == "000001" and client.device_id == "dev-1"
    assert server.devices["dev-1"]["body"] == {"kind": "signage", "screen": {"w": 1920, "h": 1080}}
    assert client.enrol_step() == "pending"                         # 202 while waiting
    server.approve("dev-1")
    assert client.enrol_step() == "active"
    assert states == ["pending", "active"]
    path = tmp_path / "device.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["token"] == "token-dev-1" and stored["public_key"] == server.public
    assert stored["server"] == "http://screens.test"
    polls = len(server.paths("/api/v1/devices/enrol"))
    again = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    assert again.state == "active" and again.device_id == "dev-1"
    assert again.enrol_step() == "active"
    assert len(server.paths("/api/v1/devices/enrol")) == polls      # no new enrolment traffic


def test_token_lost_before_saving_starts_a_fresh_enrolment(server, tmp_path):
    client = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    client.enrol_step()
    server.devices["dev-1"]["status"] = "collected"                 # a crashed run took it: 410
    assert client.enrol_step() == "pending"
    assert client.device_id == "dev-2" and client.pairing_code == "000002"
    del server.devices["dev-2"]                                     # server forgot it: 404
    assert client.enrol_step() == "pending" and client.device_id == "dev-3"


@pytest.mark.parametrize("answer", [httpx.Response(500), httpx.Response(200, json={"token": "t"}),
                                    httpx.Response(200, json={"token": "t", "public_key": "short"}),
                                    httpx.Response(200, text="<html>"), httpx.Response(403)])
def test_bad_enrolment_answers_are_recorded_not_raised(server, tmp_path, answer):
    client = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    client.enrol_step()
    server.override = lambda request: answer
    assert client.enrol_step() == "pending"
    assert client.last_error and "enrolment poll" in client.last_error


def test_network_failure_during_enrolment_is_recorded(tmp_path):
    def down(request):
        raise httpx.ConnectError("connection refused")
    client = SyncClient("http://screens.test", str(tmp_path), transport=httpx.MockTransport(down))
    assert client.enrol_step() == "unenrolled"
    assert client.last_error.startswith("network: ConnectError")


# ---- feed, media, cache switch -----------------------------------------------------------------
def test_first_sync_downloads_verifies_and_switches(server, tmp_path):
    server.publish(1, OLD)
    seen = []
    client = enrolled(server, tmp_path, on_manifest=seen.append)
    assert client.cached_manifest() is None
    assert client.sync_once() is True
    assert_shows(client, 1, OLD)
    assert [m["version"] for m in seen] == [1] and client.shown_version == 1
    assert media_files(tmp_path) == sorted(server.files())
    assert media_only(tmp_path, server) == sorted(sha(d) for d in OLD.values())
    assert sorted(server.paths("/media/")) == sorted(f"/media/{name}" for name in server.files())
    assert all(r.headers["Authorization"] == "Bearer token-dev-1" for r in server.requests
               if r.url.path.startswith("/media/"))


def test_304_downloads_nothing_even_after_a_restart(applied, server, tmp_path):
    before = len(server.requests)
    assert applied.sync_once() is False
    feed = server.requests[-1]
    assert len(server.requests) == before + 1 and feed.headers["If-None-Match"]
    restarted = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    assert restarted.sync_once() is False
    assert server.requests[-1].headers["If-None-Match"] == feed.headers["If-None-Match"]
    assert len(server.paths("/media/")) == 4                       # two images, a page, the catalog


def test_missing_cached_media_is_fetched_again(applied, server, tmp_path):
    os.unlink(applied.media_path(sha(OLD["ct"])))
    assert applied.sync_once() is True                              # the same version, repaired
    feed = [r for r in server.requests if r.url.path == "/api/v1/feed"][-1]
    assert "If-None-Match" not in feed.headers
    assert server.paths("/media/")[-1] == f"/media/{sha(OLD['ct'])}"
    assert_shows(applied, 1, OLD)


def test_new_version_reuses_media_and_gc_runs_only_after_the_switch(applied, server, tmp_path):
    old_files = sorted(server.files())
    server.publish(2, NEW)
    during = []
    server.media_hook = lambda name: during.append((name, applied.cached_manifest()["version"],
                                                     media_files(tmp_path)))
    assert applied.sync_once() is True
    [page] = server.pages()
    assert [d[0] for d in during] == [page, sha(NEW["xray"])]         # the new page, then only xray
    assert all(d[1] == 1 and set(old_files) <= set(d[2]) for d in during)   # old content intact
    assert_shows(applied, 2, NEW)
    assert media_files(tmp_path) == sorted(server.files())


def test_same_content_with_new_server_time_is_not_reapplied(applied, server):
    applied._feed.etag = None
    server.server_time += timedelta(minutes=5)
    assert applied.sync_once() is False and applied.last_error is None


def test_bad_signature_keeps_old_content_and_is_reported(applied, server):
    server.publish(2, NEW)
    server.signing_key = generate_keypair()[0]
    assert applied.sync_once() is False
    assert_shows(applied, 1, OLD)
    assert "bad signature" in applied.last_error
    assert applied.send_report() is True
    assert "bad signature" in server.reports[-1]["heartbeat"]["last_error"]
    assert applied.last_error is None                               # sent once, then cleared
    applied.send_report()
    assert server.reports[-1]["heartbeat"]["last_error"] is None


def test_key_in_the_manifest_is_never_trusted(applied, server):
    private, public = generate_keypair()
    server.publish(2, NEW, public_key=public)
    server.signing_key = private
    assert applied.sync_once() is False and "bad signature" in applied.last_error


@pytest.mark.parametrize("served, message", [
    (lambda d: d[:-1] + b"!", "does not match"),
    (lambda d: d[: len(d) // 2], "truncated"),
    (lambda d: d + b"extra", "more than"),
    (lambda d: None, "HTTP 404"),
])
def test_bad_media_keeps_old_content(applied, server, tmp_path, served, message):
    server.publish(2, NEW)
    xray = sha(NEW["xray"])
    server.media_override[xray] = served(NEW["xray"])
    if server.media_override[xray] is None:
        del server.media[xray], server.media_override[xray]
    old_files = set(media_files(tmp_path))
    assert applied.sync_once() is False
    assert message in applied.last_error
    assert_shows(applied, 1, OLD)
    assert set(media_files(tmp_path)) == old_files | set(server.pages())   # new page kept, no temp files
    server.media_override.clear()
    server.media[xray] = NEW["xray"]
    assert applied.sync_once() is True
    assert_shows(applied, 2, NEW)


def test_manifest_with_unsafe_media_name_is_refused(applied, server):
    server.publish(2, {})
    server.manifest["items"] = [{"id": 1, "media": [{"sha256": "../device.json", "bytes": 1}]}]
    assert applied.sync_once() is False and "bad media name" in applied.last_error
    assert_shows(applied, 1, OLD)


class FullDisk:
    """A file whose writes fail with ENOSPC after `room` bytes."""

    def __init__(self, f, room):
        self.f, self.room = f, room

    def write(self, data):
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.f.__exit__(*exc)


@pytest.mark.parametrize("full_at", ["page", "media", "manifest"])
def test_full_disk_keeps_old_content(applied, server, tmp_path, monkeypatch, full_at):
    """The disk fills while the new page, the new image or manifest.json itself is written."""
    server.publish(2, NEW, ticker=[{"item": n, "text": "医疗服务价格" * 8, "window": {"start": None, "end": None}}
                                   for n in range(20)])
    [page] = server.pages()
    page_size, xray_size = len(server.media[page]), len(NEW["xray"])
    room = {"page": 0, "media": page_size, "manifest": max(page_size, xray_size)}[full_at]
    assert xray_size > page_size and len(json.dumps(server.signed())) > room
    real = os.fdopen
    monkeypatch.setattr(cache_module.os, "fdopen", lambda fd, mode: FullDisk(real(fd, mode), room))
    old_files = set(media_files(tmp_path))
    assert applied.sync_once() is False
    assert applied.last_error.startswith("disk full")
    monkeypatch.undo()
    assert_shows(applied, 1, OLD)
    stored = {"page": set(), "media": {page}, "manifest": {page, sha(NEW["xray"])}}[full_at]
    assert set(media_files(tmp_path)) == old_files | stored          # no partial files
    assert [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")] == []
    assert applied.sync_once() is True
    assert_shows(applied, 2, NEW)


def test_server_errors_are_recorded(applied, server):
    server.manifest = None
    assert applied.sync_once() is False and applied.last_error == "feed: HTTP 503"
    server.override = lambda request: httpx.Response(200, text="[]")
    assert applied.sync_once() is False and "not a JSON object" in applied.last_error
    assert_shows(applied, 1, OLD)


def test_callback_errors_do_not_escape(server, tmp_path):
    server.publish(1, OLD)

    def broken(manifest):
        raise RuntimeError("widget exploded")
    client = enrolled(server, tmp_path, on_manifest=broken)
    assert client.sync_once() is True
    assert client.last_error == "RuntimeError: widget exploded"


# ---- revocation ---------------------------------------------------------------------------------
def test_revoked_token_re_enrols_while_cached_content_still_shows(applied, server, tmp_path):
    states = []
    applied.on_status = states.append
    server.revoke_all()
    server.publish(2, NEW)
    assert applied.sync_once() is False
    assert applied.state == "revoked" and states == ["revoked"] and "401" in applied.last_error
    assert_shows(applied, 1, OLD)
    assert applied.enrol_step() == "revoked"
    assert applied.device_id == "dev-2" and applied.pairing_code == "000002"
    restarted = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    assert restarted.state == "revoked" and restarted.pairing_code == "000002"
    assert_shows(restarted, 1, OLD)
    server.approve("dev-2")
    assert restarted.enrol_step() == "active"
    assert restarted.sync_once() is True
    assert_shows(restarted, 2, NEW)


@pytest.mark.parametrize("call", ["send_report", "media"])
def test_401_anywhere_means_revoked(applied, server, call):
    if call == "media":
        server.publish(2, NEW)
        server.media_hook = lambda name: server.revoke_all()
        applied.sync_once()
    else:
        server.revoke_all()
        assert applied.send_report() is False
    assert applied.state == "revoked"
    assert_shows(applied, 1, OLD)


# ---- reports -----------------------------------------------------------------------------------
def test_batches_are_retried_with_the_same_id_survive_a_restart_and_drop_after_2xx(
        applied, server, tmp_path):
    first = applied.queue_batch("play", [{"item": 1, "at": "2025-03-10T09:00:00+08:00", "ms": 8000}])
    second = applied.queue_batch("rating", [{"screen": "S1", "score": 5, "note": "很好"}])
    server.report_status = 500
    assert applied.send_report() is False and applied.last_error == "report: HTTP 500"
    restarted = SyncClient("http://screens.test", str(tmp_path), transport=server.transport)
    assert restarted.send_report() is False
    assert [[b["id"] for b in r["batches"]] for r in server.reports] == [[first, second]] * 2
    server.report_status = 200
    assert restarted.send_report() is True
    sent = server.reports[-1]
    assert [b["id"] for b in sent["batches"]] == [first, second]
    assert sent["batches"][1] == {"id": second, "type": "rating",
                                  "records": [{"screen": "S1", "score": 5, "note": "很好"}]}
    beat = sent["heartbeat"]
    assert set(beat) == {"shown_version", "shown_etag", "app_version", "uptime", "free_disk", "last_error",
                         "stream", "content_time"}
    assert beat["shown_version"] == 1 and beat["free_disk"] > 0 and beat["uptime"] >= 0
    assert beat["stream"] is False and beat["content_time"] == restarted.cached_manifest()["server_time"]
    assert beat["last_error"] == "report: HTTP 500"
    assert restarted.send_report() is True and server.reports[-1]["batches"] == []
    assert SyncClient("http://screens.test", str(tmp_path)).heartbeat()["last_error"] is None


@pytest.mark.parametrize("args", [("touch", []), ("play", "not a list"), ("play", [object()])])
def test_queue_batch_rejects_bad_input(applied, args):
    with pytest.raises((ValueError, TypeError)):
        applied.queue_batch(*args)


def test_queue_batch_on_a_full_disk_keeps_it_in_memory(applied, server, monkeypatch):
    monkeypatch.setattr(cache_module.os, "fsync", lambda fd: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, "No space left on device")))
    batch = applied.queue_batch("view", [{"item": 1}])
    assert applied.last_error.startswith("disk full")
    monkeypatch.undo()
    assert applied.send_report() is True
    assert [b["id"] for b in server.reports[-1]["batches"]] == [batch]


# ---- clock offset ------------------------------------------------------------------------------
def test_clock_offset_from_server_time_uses_the_request_midpoint(server, tmp_path):
    server.publish(1, OLD)
    local = SERVER_TIME.timestamp() - 3600                          # the screen is an hour slow
    ticks = iter([local, local + 2.0])
    now = {"t": local}

    def clock():
        return next(ticks, now["t"])
    client = enrolled(server, tmp_path, clock=clock)
    assert client.sync_once() is True
    now["t"] = local + 1.0                                          # the request's midpoint
    assert client.server_now() == SERVER_TIME
    assert client.server_now().utcoffset() == timedelta(hours=8)
    now["t"] = local + 61.0
    assert client.server_now() == SERVER_TIME + timedelta(seconds=60)


def test_clock_offset_from_date_header_after_a_restart(applied, server, tmp_path):
    date = "Mon, 10 Mar 2025 01:00:00 GMT"
    server.transport = httpx.MockTransport(lambda r: httpx.Response(304, headers={"Date": date}))
    client = SyncClient("http://screens.test", str(tmp_path), transport=server.transport,
                        clock=lambda: 1000.0)
    assert client.sync_once() is False
    assert client.server_now() == datetime(2025, 3, 10, 1, 0, tzinfo=timezone.utc)


def test_cached_manifest_must_verify_with_the_pinned_key(applied, tmp_path):
    path = tmp_path / "manifest.json"
    data = json.loads(path.read_text())
    data["device"]["name"] = "改过的"
    path.write_text(json.dumps(data, ensure_ascii=False))
    assert applied.cached_manifest() is None
    assert not verify_manifest(data, applied._identity.get("public_key"))


def test_seconds_since_contact_counts_only_answers_from_the_server(server, tmp_path):
    """What the screens' discreet offline mark is based on (screen.present.contact_mark)."""
    now = [1000.0]
    server.publish(1, OLD)
    client = enrolled(server, tmp_path, monotonic=lambda: now[0])
    now[0] += 700
    assert client.seconds_since_contact() == 700  # counted from the start when never in contact
    assert client.sync_once() is True and client.seconds_since_contact() == 0
    now[0] += 30
    assert client.sync_once() is False and client.seconds_since_contact() == 0  # a 304 is contact
    now[0] += 30
    server.report_status = 500
    assert client.send_report() is False and client.seconds_since_contact() == 30
    server.manifest = None
    assert client.sync_once() is False and client.seconds_since_contact() == 30  # a 503 is not
    server.override = lambda request: (_ for _ in ()).throw(httpx.ConnectError("down"))
    assert client.sync_once() is False and client.seconds_since_contact() == 30
    server.override, server.report_status = None, 200
    now[0] += 10
    assert client.send_report() is True and client.seconds_since_contact() == 0
