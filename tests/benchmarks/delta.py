"""delta: what one short notice costs a screen on the wire with 5 000 items and a 20 000-row table
live, and what the first sync of such a screen costs (bytes and time) — protocol version 2, a real
SyncClient (verification, hash checks, disk writes, hydration) against the server over loopback
HTTP (werkzeug, threads), bytes counted as they come off the socket (gzip-encoded where the server
sent it so, HTTP headers included).

    .venv/bin/python tests/benchmarks/delta.py [ITEMS] [ROWS]      (default 5000 20000)
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from werkzeug.serving import make_server  # noqa: E402

from content.manifest import canonical_json  # noqa: E402
from screen.cache import write_json  # noqa: E402
from screen.sync import SyncClient  # noqa: E402
from server import create_app, db  # noqa: E402
from server.instance import find_unit, init_instance  # noqa: E402
from server.models import Category, Item, Revision, utcnow  # noqa: E402
from server.screens.keys import load_keys  # noqa: E402
from tests.benchmarks.feed_build import seed  # noqa: E402

TARGET = 64 * 1024


class CountingTransport(httpx.HTTPTransport):
    """Counts every response's bytes as received: status line, headers, body as encoded."""

    def __init__(self):
        super().__init__()
        self.bytes = 0

    def handle_request(self, request):
        resp = super().handle_request(request)
        self.bytes += 17 + sum(len(k) + len(v) + 4 for k, v in resp.headers.raw)
        raw, counter = resp.stream, self

        class Counted(httpx.SyncByteStream):
            def __iter__(self):
                for chunk in raw:
                    counter.bytes += len(chunk)
                    yield chunk

            def close(self):
                raw.close()
        resp.stream = Counted()
        return resp


def publish_notice(app, title: str) -> None:
    """A short notice goes live (as the workflow's last step would leave it)."""
    with app.app_context():
        s = db.session()
        unit = find_unit(s, None)
        cat = s.query(Category).filter_by(unit_id=unit.id, key="notices").one()
        item = Item(unit=unit, category=cat)
        now = utcnow()
        item.revisions.append(Revision(number=1, title=title, body="门诊楼电梯检修，请走楼梯。", status="published",
                                       audiences=[{"audiences": ["public"], "at": None}], published_at=now,
                                       window_start=now))
        s.add(item)
        s.commit()


def wait(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


def main(n_items: int, n_rows: int) -> dict:
    app = create_app({"SECRET_KEY": "bench"}, instance_path=tempfile.mkdtemp() + "/instance")
    init_instance(app)
    with app.app_context():
        seed(db.session(), n_items, n_rows, devices=1, tokens=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    data_dir = tempfile.mkdtemp(prefix="gk-delta-")
    write_json(os.path.join(data_dir, "device.json"), {"device_id": "bench0", "token": "bench-token-0",
                                                       "public_key": load_keys(app.instance_path)[1],
                                                       "server": url}, mode=0o600)
    wire = CountingTransport()
    seen = []
    client = SyncClient(url, data_dir, screen=(1080, 1920), transport=wire, on_manifest=seen.append)
    try:
        t = time.perf_counter()
        assert client.sync_once(), client.last_error
        first_seconds, first_bytes = time.perf_counter() - t, wire.bytes
        full = len(canonical_json({k: v for k, v in seen[-1].items() if k != "item_pages"}))
        print(f"delta: {n_items} items and a {n_rows}-row table live, one kiosk, loopback")
        print(f"  first sync: {first_bytes / 1024:.0f} KiB on the wire in {first_seconds * 1000:.0f} ms "
              f"(manifest, {len(seen[-1]['item_pages'])} pages, the table blob; verified, stored, hydrated)")
        client.start()
        assert wait(lambda: client.connected), client.last_error
        time.sleep(0.5)
        before = wire.bytes
        t = time.perf_counter()
        publish_notice(app, "电梯检修通知")
        assert wait(lambda: any(i["title"] == "电梯检修通知" for i in seen[-1]["items"])), client.last_error
        notice_seconds, notice_bytes = time.perf_counter() - t, wire.bytes - before
        print(f"  one short notice: {notice_bytes / 1024:.1f} KiB on the wire per screen (target ≤ {TARGET // 1024} KiB), "
              f"applied {notice_seconds * 1000:.0f} ms after the commit")
        print(f"  protocol 1 sent the whole manifest for it: {full / 2**20:.2f} MiB per screen, uncompressed")
        return {"first_bytes": first_bytes, "first_seconds": first_seconds, "notice_bytes": notice_bytes,
                "full_bytes": full}
    finally:
        client.close()
        server.shutdown()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 5000, args[1] if len(args) > 1 else 20000)
