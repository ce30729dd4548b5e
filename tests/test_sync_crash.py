"""A crash or power cut at any point leaves the previous manifest and media intact and loadable.

For real: a tiny HTTP server on 127.0.0.1 serves the feed and a big media file slowly; a child
Python process runs SyncClient.sync_once() and is killed with SIGKILL mid-download (or kills itself
at the renames); the old content must still verify, and a second run must finish and clean up.
Also over real sockets: a truncated download and a dead event stream (read timeout).
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from screen.cache import ContentCache, write_json
from screen.feedsync import hydrate_cached
from content.feedpages import pack
from content.manifest import etag_for, generate_keypair, sign_manifest, verify_manifest
from screen.sync import SyncClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "token-live"
PRIVATE, PUBLIC = generate_keypair()
SMALL_A, SMALL_B, SMALL_D = b"A" * 3000, b"B" * 4000, b"D" * 5000
BIG = os.urandom(2 * 1024 * 1024)
CHUNK = 32 * 1024


def sha(data):
    return hashlib.sha256(data).hexdigest()


def manifest(version, files):
    """Protocol version 2: one page of items, each with one image (the page joins the served files)."""
    packed, pages = pack({"version": version, "server_time": "2025-03-10T09:00:00+08:00",
                          "device": {"device_id": "dev-1", "name": "大厅"},
                          "items": [{"id": i, "title": f"第{i}项", "window": {"start": None, "end": None},
                                     "media": [{"sha256": sha(d), "type": "image/png", "w": 1, "h": 1,
                                                "bytes": len(d)}]}
                                    for i, d in enumerate(files, 1)]})
    PAGES.update(pages)
    return packed


PAGES: dict[str, bytes] = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        live = self.server
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, b"{}")
        if self.path == "/api/v1/feed":
            body = json.dumps(sign_manifest(live.manifest, PRIVATE)).encode()
            return self._send(200, body, {"ETag": etag_for(live.manifest)})
        if self.path.startswith("/media/"):
            return self._media(self.path.rsplit("/", 1)[1])
        if self.path == "/api/v1/events":  # a dead stream: one comment, then silence
            self._send_head(200, {"Content-Type": "text/event-stream"})
            self._write(b": hello\n\n")
            live.closing.wait(10)
        self._send(404, b"")

    def _media(self, name):
        data = self.server.media[name]
        self._send_head(200, {"Content-Length": str(len(data))})
        limit = len(data) // 2 if name in self.server.truncate else len(data)
        for start in range(0, limit, CHUNK):
            if self.server.closing.is_set() or not self._write(data[start:min(start + CHUNK, limit)]):
                return
            if name in self.server.slow:
                time.sleep(0.05)
        self.close_connection = True

    def _send_head(self, status, headers):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _send(self, status, body, headers=None):
        self._send_head(status, {"Content-Length": str(len(body)), **(headers or {})})
        self._write(body)

    def _write(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:  # the client was killed
            return False


@pytest.fixture
def live():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.manifest, server.media = manifest(1, [SMALL_A, SMALL_B]), {}
    server.slow, server.truncate, server.closing = set(), set(), threading.Event()
    for data in (SMALL_A, SMALL_B, SMALL_D, BIG):
        server.media[sha(data)] = data
    server.media.update(PAGES)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.closing.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def data_dir(live, tmp_path):
    """An enrolled device whose cache holds version 1 (A, B), fetched over the real socket."""
    write_json(str(tmp_path / "device.json"), {"device_id": "dev-1", "pairing_code": "000001",
                                               "token": TOKEN, "public_key": PUBLIC,
                                               "server": live.url}, mode=0o600)
    client = SyncClient(live.url, str(tmp_path), gc_grace_seconds=0)
    assert client.sync_once() is True, client.last_error
    client.close()
    live.manifest = manifest(2, [SMALL_B, BIG, SMALL_D])
    live.media.update(PAGES)
    return tmp_path


CHILD = """
import json, os, signal, sys
import screen.cache as cache
from screen.sync import SyncClient
crash_at = os.environ.get("CRASH_AT")
def die():
    os.kill(os.getpid(), signal.SIGKILL)
real_replace = cache.os.replace
def replace(src, dst):
    if crash_at == "manifest-rename" and dst.endswith("manifest.json"):
        die()
    real_replace(src, dst)
    if crash_at == "media-rename" and os.path.dirname(dst).endswith("media"):
        die()
cache.os.replace = replace
real_gc = cache.ContentCache.collect_garbage
def gc(self, refs, *args):
    if crash_at == "gc" and json.load(open(self.manifest_path))["version"] == 2:
        die()  # right after the switch to version 2, before its GC
    return real_gc(self, refs, *args)
cache.ContentCache.collect_garbage = gc
client = SyncClient(sys.argv[1], sys.argv[2], gc_grace_seconds=0)
print(json.dumps({"applied": client.sync_once(), "error": client.last_error}))
"""


def run_child(live, data_dir, crash_at=None):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = ROOT
    if crash_at:
        env["CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-c", CHILD, live.url, str(data_dir)], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assert_intact(data_dir, version):
    """manifest.json verifies and every page and media file it names hashes to its name."""
    cache = ContentCache(str(data_dir))
    stored = cache.read_manifest()
    assert stored is not None and verify_manifest(stored, PUBLIC) and stored["version"] == version
    prepared = hydrate_cached(cache, stored)                      # pages present and verified
    assert [i["id"] for i in prepared.hydrated["items"]] == [3, 2, 1][3 - len(prepared.hydrated["items"]):]
    for sha_ in prepared.refs:
        assert cache.verify_media(sha_), sha_


def assert_finished(live, data_dir, applied=True):
    child = run_child(live, data_dir)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err.decode()
    assert json.loads(out) == {"applied": applied, "error": None}
    assert_intact(data_dir, 2)
    pages = [p["sha256"] for p in live.manifest["item_pages"]] + [live.manifest["catalog_blob"]["sha256"]]
    assert sorted(os.listdir(data_dir / "media")) == sorted([sha(d) for d in (SMALL_B, BIG, SMALL_D)] + pages)
    leftovers = [n for d in (data_dir, data_dir / "media") for n in os.listdir(d) if n.startswith(".")]
    assert leftovers == []


def part_size(data_dir):
    parts = [n for n in os.listdir(data_dir / "media") if n.startswith(".part-")]
    return os.path.getsize(data_dir / "media" / parts[0]) if parts else -1


def test_kill_9_mid_download_keeps_the_old_content(live, data_dir):
    live.slow.add(sha(BIG))
    old_bytes = (data_dir / "manifest.json").read_bytes()
    child = run_child(live, data_dir)
    try:
        deadline, seen = time.monotonic() + 30, []
        while time.monotonic() < deadline and child.poll() is None:
            seen.append(part_size(data_dir))
            if len(seen) > 1 and 0 < seen[-2] < seen[-1]:
                break                                             # a temp file exists and grows
            time.sleep(0.1)
        assert child.poll() is None and 0 < seen[-2] < seen[-1] < len(BIG), seen
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert 0 < part_size(data_dir) < len(BIG)                     # killed mid-download indeed
    assert (data_dir / "manifest.json").read_bytes() == old_bytes
    assert_intact(data_dir, 1)
    shown = SyncClient(live.url, str(data_dir)).cached_manifest()
    assert shown is not None and shown["version"] == 1
    live.slow.clear()
    assert_finished(live, data_dir)


TABLE = {"columns": ["编码", "项目名称", "价格"], "rows": [[f"{n:06d}", f"检查项目{n}号", f"{n % 900}.00"]
                                                     for n in range(40_000)]}


def test_kill_9_mid_table_blob_download_keeps_the_old_content(live, data_dir):
    """The same for a table blob (protocol version 2): its half-download never gets its name."""
    packed, blobs = pack({"version": 2, "device": {"device_id": "dev-1"},
                          "items": [{"id": 1, "title": "价格表", "window": {"start": None, "end": None},
                                     "media": [], "table": TABLE}]})
    live.manifest = packed
    live.media.update(blobs)
    [table_sha] = [name for name, data in blobs.items() if len(data) > 1_000_000]
    live.slow.add(table_sha)
    child = run_child(live, data_dir)
    try:
        deadline, seen = time.monotonic() + 30, []
        while time.monotonic() < deadline and child.poll() is None:
            seen.append(part_size(data_dir))
            if len(seen) > 1 and 0 < seen[-2] < seen[-1]:
                break
            time.sleep(0.1)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    assert 0 < part_size(data_dir) < len(blobs[table_sha]), seen   # killed mid-download indeed
    assert not os.path.exists(data_dir / "media" / table_sha)
    assert_intact(data_dir, 1)
    live.slow.clear()
    client = SyncClient(live.url, str(data_dir), gc_grace_seconds=0)
    assert client.sync_once() is True, client.last_error
    assert client.cached_manifest()["items"][0]["table"] == TABLE
    assert [n for n in os.listdir(data_dir / "media") if n.startswith(".")] == []
    client.close()


@pytest.mark.parametrize("crash_at, version_after", [("media-rename", 1), ("manifest-rename", 1),
                                                     ("gc", 2)])
def test_crash_at_each_rename_leaves_a_loadable_cache(live, data_dir, crash_at, version_after):
    child = run_child(live, data_dir, crash_at)
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert_intact(data_dir, version_after)
    assert_finished(live, data_dir, applied=version_after == 1)   # after "gc" it was applied already


def test_truncated_download_over_a_real_socket_keeps_the_old_content(live, data_dir):
    live.truncate.add(sha(BIG))
    client = SyncClient(live.url, str(data_dir))
    assert client.sync_once() is False
    assert client.last_error.startswith("network: RemoteProtocolError")
    assert_intact(data_dir, 1)
    assert [n for n in os.listdir(data_dir / "media") if n.startswith(".")] == []
    client.close()


def test_a_silent_stream_is_noticed_by_the_read_timeout(live, data_dir):
    client = SyncClient(live.url, str(data_dir), read_timeout=0.5)
    started = time.monotonic()
    assert client.listen_once() is True
    assert time.monotonic() - started < 5
    assert client.last_error == "network timeout (ReadTimeout)"
    client.close()


def test_stop_interrupts_a_blocked_stream_read(live, data_dir):
    client = SyncClient(live.url, str(data_dir), read_timeout=30, heartbeat_seconds=3600)
    client.start()
    deadline = time.monotonic() + 10
    while not client.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.connected
    time.sleep(0.2)                                               # the read is now blocked
    started = time.monotonic()
    client.stop(timeout=5)
    assert time.monotonic() - started < 2
    assert not any(t.name.startswith("gongkai-") and t.is_alive() for t in threading.enumerate())
    client.close()
