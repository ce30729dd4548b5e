"""A server restart in the middle of a rollout loses nothing: real gunicorn + gevent server, real
SyncClients holding event streams; a big price table is approved and the server is killed with
SIGKILL while the screens fetch it; after the restart every screen ends up with the new content,
no cache holds a partial file, the server's feed files all match their names, and the audit log
verifies."""
import hashlib
import os
import subprocess
import sys

import pytest

from benchmarks.harness import ROOT, Server
from screen.cache import write_json
from screen.sync import SyncClient
from waiting import poll

SCREENS = 3


def shows(client, title) -> bool:
    manifest = client.cached_manifest()
    return manifest is not None and any(i["title"] == title for i in manifest["items"])


@pytest.fixture
def server():
    srv = Server(workers=1)
    yield srv
    srv.stop()


def test_restart_mid_rollout_loses_nothing(server, tmp_path):
    clients = []
    for n, (device_id, token, key) in enumerate(server.enrol(SCREENS)):
        data = tmp_path / f"screen{n}"
        data.mkdir()
        write_json(str(data / "device.json"), {"device_id": device_id, "token": token, "public_key": key,
                                               "server": server.url}, mode=0o600)
        client = SyncClient(server.url, str(data), kind="signage", screen=(1920, 1080), poll_seconds=2.0,
                            gc_grace_seconds=0)
        client.start()
        clients.append(client)
    try:
        assert poll(lambda: all(c.connected and c.cached_manifest() is not None for c in clients), 90)
        item_id = server.publish_table(20_000)                      # ~1 MB blob, approved at the end
        server.crash_and_restart()                                  # while the screens fetch it
        title = "价格表 20000 行"
        assert poll(lambda: all(shows(c, title) for c in clients), 90), [c.last_error for c in clients]
        for client in clients:
            [item] = [i for i in client.cached_manifest()["items"] if i["title"] == title]
            assert len(item["table"]["rows"]) == 20_000
            media = os.path.join(client.data_dir, "media")
            for name in os.listdir(media):
                assert not name.startswith("."), name               # no partial download left
                with open(os.path.join(media, name), "rb") as fh:
                    assert hashlib.sha256(fh.read()).hexdigest() == name
        feed_dir = os.path.join(server.instance, "media", "feed")
        for name in os.listdir(feed_dir):
            if not name.startswith(".") and not name.endswith(".gz"):
                with open(os.path.join(feed_dir, name), "rb") as fh:
                    assert hashlib.sha256(fh.read()).hexdigest() == name
        got = server.call("GET", f"/items/{item_id}", "alice").json()
        assert got["status"] == "published" and len(got["table"]["rows"]) == 20_000
    finally:
        for client in clients:
            client.close()
    audit = subprocess.run([sys.executable, "-m", "server", "verify-audit", "--instance", server.instance],
                           cwd=ROOT, capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr
