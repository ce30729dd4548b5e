"""Device requests under push load: single-flight caches, and the watcher-confirmed feed mark
that spares every device request its own database query — without serving revoked screens."""
import threading
import time

from server import create_app
from server.screens.lru import LRU
from server.screens.push import Bus, Mark, start_watcher
from test_devices import Screen


def test_get_or_build_runs_one_build_for_many_concurrent_callers():
    cache, calls, results = LRU(8), [], []
    gate = threading.Event()

    def build():
        calls.append(1)
        gate.wait(2)
        return "built"

    threads = [threading.Thread(target=lambda: results.append(cache.get_or_build("k", build)))
               for _ in range(20)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join()
    assert calls == [1] and results == ["built"] * 20
    assert cache.get_or_build("k", lambda: "other") == "built"
    assert cache._building == {}


def test_a_failed_build_is_not_cached_and_leaves_no_gate():
    cache = LRU(8)

    def boom():
        raise RuntimeError("db down")

    for _ in range(2):
        try:
            cache.get_or_build("k", boom)
        except RuntimeError:
            pass
    assert cache.get("k") is None and cache._building == {}
    assert cache.get_or_build("k", lambda: 5) == 5


def test_fresh_mark_only_while_the_watcher_confirms_it():
    bus = Bus()
    assert bus.fresh_mark() is None                      # no watcher: callers query the database
    bus.notify(Mark(3, 1))
    bus.confirmed = time.monotonic()
    assert bus.fresh_mark() == Mark(3, 1)
    bus.confirmed = time.monotonic() - 10                # watcher stalled: stop trusting it
    assert bus.fresh_mark(2.0) is None


def test_revoked_in_another_process_is_refused_within_the_trust_window(app, api):
    """App B (a second server process) serves the device from its watcher's mark; a revoke made
    through app A reaches B's watcher, so B refuses the token well inside TRUST_SECONDS."""
    screen = Screen(api)
    other = create_app({"SECRET_KEY": "test", "TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]},
                       instance_path=app.instance_path)
    watcher = start_watcher(other)
    try:
        client = other.test_client()
        headers = {"Authorization": f"Bearer {screen.token}"}
        deadline = time.monotonic() + 5
        while other.extensions["gongkai.bus"].fresh_mark() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.get("/api/v1/feed", headers=headers).status_code == 200
        assert api.call("POST", f"/devices/{screen.id}/revoke", "root").status_code == 200
        revoked_at, status = time.monotonic(), 200
        while status == 200 and time.monotonic() - revoked_at < 5:
            status = client.get("/api/v1/feed", headers=headers).status_code
            time.sleep(0.02)
        assert status == 401
        assert time.monotonic() - revoked_at < 2.0
    finally:
        watcher.stop.set()
        other.extensions["gongkai.engine"].dispose()
