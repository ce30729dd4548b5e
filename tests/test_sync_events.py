"""SyncClient's threads: feed/command events, Last-Event-ID on reconnect, back-off growth with
jitter, feed polling while disconnected, start/stop, and at most two downloads at a time."""
import threading
import time

import httpx
import pytest

from device_fakes import FakeServer, enrolled

OLD = {"ct": b"CT 300" * 50}
NEW = {"ct": b"CT 300" * 50, "mri": b"MRI 800" * 50}


class StopLoop(Exception):
    pass


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def server():
    fake = FakeServer()
    fake.publish(1, OLD)
    return fake


def test_feed_event_requests_a_sync_and_commands_are_forwarded(server, tmp_path):
    commands = []
    client = enrolled(server, tmp_path, on_command=lambda name, data: commands.append((name, data)))
    server.event_streams = [[b": hello\n\n", b"id: 5\nevent: feed\ndata: {\"version\": 5}\n\n",
                             b"event: command\ndata: {\"name\": \"screenshot\", \"n\": 1}\n\n",
                             b"event: command\ndata: {\"name\": \"reload\"}\n\n"]]
    requests = []
    client._request_sync = lambda: requests.append(client._last_event_id)
    assert client.listen_once() is True
    assert requests == [None, "5"]                                  # on connect, then on the event
    assert commands == [("screenshot", {"name": "screenshot", "n": 1}), ("reload", {"name": "reload"})]
    events = [r for r in server.requests if r.url.path == "/api/v1/events"]
    assert events[0].headers["Authorization"] == "Bearer token-dev-1"
    assert events[0].headers["Accept"] == "text/event-stream"
    assert "Last-Event-ID" not in events[0].headers
    assert client.connected is False                                # the stream ended


@pytest.mark.parametrize("data", [b"not json", b"[1]", b"{\"name\": 5}"])
def test_bad_command_data_is_recorded(server, tmp_path, data):
    commands = []
    client = enrolled(server, tmp_path, on_command=lambda *a: commands.append(a))
    server.event_streams = [[b"event: command\ndata: " + data + b"\n\n"]]
    assert client.listen_once() is True
    assert commands == [] and client.last_error.startswith("command: bad data")


def test_command_handler_errors_do_not_escape(server, tmp_path):
    def handler(name, data):
        raise KeyError(name)
    client = enrolled(server, tmp_path, on_command=handler)
    server.event_streams = [[b"event: command\ndata: {\"name\": \"identify\"}\n\n"]]
    assert client.listen_once() is True and client.last_error == "KeyError: 'identify'"


def test_stream_dropping_mid_way_is_recorded(server, tmp_path):
    def dropping():
        yield b"id: 3\nevent: feed\ndata: {}\n\n"
        raise httpx.ReadError("connection reset")
    client = enrolled(server, tmp_path)
    server.event_streams = [dropping()]
    assert client.listen_once() is True
    assert client.last_error == "network: ReadError: connection reset"
    assert client._last_event_id == "3"


def test_revoked_on_the_stream(server, tmp_path):
    client = enrolled(server, tmp_path)
    server.revoke_all()
    assert client.listen_once() is False and client.state == "revoked"


def test_reconnect_backs_off_with_jitter_and_sends_last_event_id(server, tmp_path):
    delays = []

    def sleep(seconds):
        delays.append(seconds)
        if len(delays) == 7:
            raise StopLoop
    client = enrolled(server, tmp_path, sleep=sleep, rand=lambda: 0.5)
    server.event_streams = [500, 502, [b"id: 7\nevent: feed\ndata: {\"version\": 7}\n\n"], 503,
                            httpx.ConnectError("refused"), 500, [b": only a heartbeat\n\n"]]
    with pytest.raises(StopLoop):
        client._run_events()
    # failures 1, 2 → 1 s, 2 s; data arrived → reset → 1 s; then 2, 4, 8; data again → 1 s
    expected = [1, 2, 1, 2, 4, 8, 1]
    assert delays == [base * 1.125 for base in expected]
    sent = [r.headers.get("Last-Event-ID") for r in server.requests if r.url.path == "/api/v1/events"]
    assert sent == [None, None, None, "7", "7", "7", "7"]


def test_backoff_is_capped_at_sixty_seconds_plus_jitter(server, tmp_path):
    delays = []

    def sleep(seconds):
        delays.append(seconds)
        if len(delays) == 10:
            raise StopLoop
    client = enrolled(server, tmp_path, sleep=sleep, rand=lambda: 0.999)
    server.event_streams = [500] * 10
    with pytest.raises(StopLoop):
        client._run_events()
    bases = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert all(base <= d < base * 1.25 for d, base in zip(delays, bases)), delays
    assert max(delays) < 75


# ---- the background threads --------------------------------------------------------------------
def test_background_enrols_syncs_and_polls_while_the_stream_is_down(server, tmp_path):
    from screen.sync import SyncClient
    manifests, states = [], []
    client = SyncClient("http://screens.test", str(tmp_path), transport=server.transport,
                        on_manifest=manifests.append, on_status=states.append, poll_seconds=0.05,
                        heartbeat_seconds=0.1, enrol_poll_seconds=0.02, sleep=lambda s: time.sleep(0.01))
    client.start()
    try:
        assert wait_until(lambda: client.device_id is not None)
        assert client.state == "pending" and client.pairing_code
        server.approve(client.device_id)
        assert wait_until(lambda: [m["version"] for m in manifests] == [1])
        feeds = len(server.paths("/api/v1/feed"))
        assert wait_until(lambda: len(server.paths("/api/v1/feed")) >= feeds + 3)   # polling
        assert wait_until(lambda: len(server.reports) >= 2)                          # heartbeats
        server.publish(2, NEW)
        assert wait_until(lambda: [m["version"] for m in manifests] == [1, 2])
    finally:
        client.stop()
    assert states == ["pending", "active"]
    assert all(not t.is_alive() for t in threading.enumerate() if t.name.startswith("gongkai-"))


def test_connected_stream_replaces_polling_and_a_feed_event_syncs_at_once(server, tmp_path):
    release = threading.Event()
    pushed = threading.Event()

    def stream():
        yield b": connected\n\n"
        pushed.wait(5)
        yield b"id: 2\nevent: feed\ndata: {\"version\": 2}\n\n"
        release.wait(5)
    manifests = []
    client = enrolled(server, tmp_path, on_manifest=manifests.append, poll_seconds=0.05,
                      heartbeat_seconds=60)
    server.event_streams = [stream()]
    client.start()
    try:
        assert wait_until(lambda: client.connected and [m["version"] for m in manifests] == [1])
        feeds = len(server.paths("/api/v1/feed"))
        time.sleep(0.3)                                              # ≥ 6 poll periods
        assert len(server.paths("/api/v1/feed")) <= feeds + 1        # no polling while connected
        server.publish(2, NEW)
        pushed.set()
        assert wait_until(lambda: [m["version"] for m in manifests] == [1, 2])
    finally:
        release.set()
        client.stop()


def test_media_downloads_run_at_most_two_at_a_time(server, tmp_path):
    lock, active, peak = threading.Lock(), [0], [0]

    def hook(name):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
    server.publish(1, {f"file{i}": f"content {i}".encode() * 100 for i in range(6)})
    server.media_hook = hook
    client = enrolled(server, tmp_path)
    assert client.sync_once() is True
    assert peak[0] == 2 and len(server.paths("/media/")) == 8          # six images, their page, the catalog
