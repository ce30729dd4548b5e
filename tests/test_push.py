"""Push over real HTTP: a served app, event streams read from sockets, changes from other processes."""
import http.client
import json
import queue
import threading
import time

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from server import create_app
from server.devices import feed as feed_routes
from server.screens.push import start_watcher
from test_devices import Screen


@pytest.fixture
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


class Stream:
    """Reads server-sent events from a real socket into a queue of (event, data) pairs."""

    def __init__(self, port, token, last_id=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/api/v1/events", headers=headers)
        self.resp = self.conn.getresponse()
        self.events: queue.Queue = queue.Queue()
        self.comments: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        name, data = None, None
        try:
            for raw in self.resp:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:].strip())
                elif line == "" and name:
                    self.events.put((name, data))
                    name, data = None, None
        except (OSError, ValueError):
            pass

    def next(self, timeout=5.0):
        return self.events.get(timeout=timeout)

    def close(self):
        self.conn.close()


def test_stream_sends_version_then_pushes_a_publish(api, served):
    screen = Screen(api)
    stream = Stream(served, screen.token)
    assert stream.resp.status == 200
    assert stream.resp.getheader("Content-Type").startswith("text/event-stream")
    name, data = stream.next()
    assert name == "feed"
    first = data["version"]
    item = api.create(title="推送测试")
    api.publish(item["id"])
    started = time.monotonic()
    name, data = stream.next()
    took = time.monotonic() - started
    assert name == "feed" and data["version"] > first
    assert took < 5.0, took   # generous; the benchmark measures the real latency
    assert "推送测试" in screen.titles()
    stream.close()


def test_changes_that_do_not_reach_this_screen_send_nothing(api, served):
    screen = Screen(api, audiences=("public",))
    stream = Stream(served, screen.token)
    stream.next()
    api.publish(api.create(category="finance", title="内部财务")["id"])   # staff-only
    with pytest.raises(queue.Empty):
        stream.next(timeout=1.5)
    stream.close()


def test_last_event_id(api, served):
    screen = Screen(api)
    version = screen.manifest()["version"]
    same = Stream(served, screen.token, last_id=version)
    with pytest.raises(queue.Empty):
        same.next(timeout=1.0)
    moved = Stream(served, screen.token, last_id=version - 1)
    assert moved.next()[1]["version"] == version
    same.close()
    moved.close()


def test_commands_go_down_the_stream(api, served):
    screen = Screen(api)
    stream = Stream(served, screen.token)
    stream.next()
    api.call("POST", f"/devices/{screen.id}/commands", "root", json={"name": "identify"})
    name, data = stream.next()
    assert (name, data["name"]) == ("command", "identify")
    stream.close()


def test_heartbeat_comments_keep_the_stream_open(api, served, monkeypatch):
    monkeypatch.setattr(feed_routes, "HEARTBEAT_SECONDS", 0.2)
    screen = Screen(api)
    stream = Stream(served, screen.token)
    stream.next()
    deadline = time.monotonic() + 5
    while not any("keep-alive" in c for c in stream.comments) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("keep-alive" in c for c in stream.comments)
    stream.close()


def test_revoked_device_stream_ends(api, served):
    screen = Screen(api)
    stream = Stream(served, screen.token)
    stream.next()
    api.call("POST", f"/devices/{screen.id}/revoke", "root")
    deadline = time.monotonic() + 5
    while not stream.resp.isclosed() and time.monotonic() < deadline:
        time.sleep(0.05)
    stream.resp.read()  # returns once the server ends the stream
    stream.close()


def test_a_change_made_by_another_process_arrives(app, api, served):
    """A second app over the same database stands in for a second server process."""
    watcher = start_watcher(app)
    screen = Screen(api)
    stream = Stream(served, screen.token)
    stream.next()
    other = create_app({"SECRET_KEY": "test", "TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]},
                       instance_path=app.instance_path)
    other_api = type(api)(other.test_client())
    other_api.publish(other_api.create(title="另一进程发布")["id"])
    name, data = stream.next()
    assert name == "feed"
    watcher.stop.set()
    other.extensions["gongkai.engine"].dispose()
    stream.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_bumps_at_once_both_count(request, backend, app):
    """Two transactions moving the feed version at the same moment get two versions: the later one
    must not write back the value it read before the earlier committed (a feed cached for that
    version would then miss the later change, and screens would not fetch it)."""
    from server.screens.push import bump, current_mark
    subject = request.getfixturevalue("pg_app") if backend == "postgres" else app
    sessions = subject.extensions["gongkai.sessions"]
    with subject.app_context():
        first, second = sessions(), sessions()
        start = current_mark(first).version
        second.execute(text("SELECT 1")).all()      # the second one has begun too
        bump(first, "first", devices=False)          # holds the row until it commits
        done = {}

        def other():
            try:
                bump(second, "second", devices=False)
                second.commit()
                done["mark"] = second.info.get("feed_bumped") or current_mark(second)
            except Exception as exc:  # noqa: BLE001 — reported by the assertion below
                done["error"] = exc
        worker = threading.Thread(target=other)
        worker.start()
        time.sleep(0.3)
        first.commit()
        worker.join(30)
        assert "error" not in done, done
        check = sessions()
        assert current_mark(check).version == start + 2
        for s in (first, second, check):
            s.close()
