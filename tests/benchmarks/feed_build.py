"""feed_build: time to build a device manifest with 5 000 items and a 20 000-row table, cold (first
screen after a change) and warm (every further screen of the same audiences), to sign it, and its
size — protocol version 2: the manifest lists pages by hash, the items live in the pages, the table
in a blob (both written once to the feed folder).

    .venv/bin/python tests/benchmarks/feed_build.py [ITEMS] [ROWS]
"""
from __future__ import annotations

import gzip
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from sqlalchemy import select  # noqa: E402

from server import create_app, db  # noqa: E402
from server.screens import feed_blobs  # noqa: E402
from server.screens.device_info import by_id  # noqa: E402
from server.screens.models import Device  # noqa: E402
from server.screens.device_feed import build_device_feed  # noqa: E402
from server.instance import find_unit, init_instance  # noqa: E402
from server.screens.keys import signing_key  # noqa: E402
from server.models import Category, Item, Revision, utcnow  # noqa: E402
from server.screens.push import current_mark  # noqa: E402

TABLE_COLUMNS = ["编码", "项目名称", "计价单位", "价格（元）", "医保类别"]


def price_table(n_rows: int) -> dict:
    return {"columns": TABLE_COLUMNS,
            "rows": [[f"{i:06d}", f"检查项目{i}号（含耗材）", "次", f"{i % 900 + 10}.00", "甲类"]
                     for i in range(n_rows)]}


def seed(s, n_items: int, n_rows: int, devices: int = 2, tokens: bool = False) -> None:
    """n_items published items (the first with the table) and `devices` active kiosks bench<k>
    (with tokens "bench-token-<k>" if asked)."""
    from server.devices import token_hash
    unit = find_unit(s, None)
    cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "prices"))
    now = utcnow()
    table = price_table(n_rows)
    for i in range(n_items):
        item = Item(unit=unit, category=cat)
        item.revisions.append(Revision(number=1, title=f"公开事项 {i}", body="正文" * 40, status="published",
                                       audiences=[{"audiences": ["public"], "at": None}], published_at=now,
                                       window_start=now, table=table if i == 0 else None))
        s.add(item)
    for k in range(devices):
        s.add(Device(id=f"bench{k}", kind="kiosk", screen_w=1080, screen_h=1920, status="active",
                     pairing_code="X", unit=unit, screen_code=f"SB{k}", audiences=["public"],
                     token_hash=token_hash(f"bench-token-{k}") if tokens else None))
    s.commit()


def main(n_items: int, n_rows: int) -> None:
    app = create_app({"SECRET_KEY": "bench"}, instance_path=tempfile.mkdtemp() + "/instance")
    init_instance(app)
    with app.app_context():
        s = db.session()
        t = time.perf_counter()
        seed(s, n_items, n_rows)
        print(f"feed_build: seeded {n_items} items + a {n_rows}-row table in {time.perf_counter() - t:.1f} s")
        mark = current_mark(s)
        for label, device_id in [("cold (first screen)", "bench0"), ("warm (next screen) ", "bench1")]:
            info = by_id(s, device_id, mark.device_epoch)
            t = time.perf_counter()
            feed = build_device_feed(s, info, mark)
            built = time.perf_counter() - t
            body = feed.body
            print(f"  {label}: build and sign {built * 1000:8.1f} ms (signatures: the shared part once "
                  f"per kind of screen and version, the device block once); manifest "
                  f"{len(body) / 1024:.1f} KiB ({len(gzip.compress(body)) / 1024:.1f} KiB gzip)")
        t = time.perf_counter()
        for _ in range(1000):
            build_device_feed(s, info, mark)
        print(f"  a repeated GET or event of the same screen: {(time.perf_counter() - t) * 1000:.3f} µs, "
              f"no signature, no serialising")
        t = time.perf_counter()
        sign = signing_key(app).sign
        for _ in range(200):
            sign(body)
        print(f"  for scale: one Ed25519 signature of this manifest costs {(time.perf_counter() - t) / 200 * 1000:.3f} ms")
        pages = [sha for sha, kind in feed.blob_types.items() if kind == "application/json"]
        sizes = [(os.path.getsize(feed_blobs.path(sha)), os.path.getsize(feed_blobs.path(sha) + ".gz"))
                 for sha in pages]
        total, total_gz = sum(a for a, _ in sizes), sum(b for _, b in sizes)
        print(f"  pages and table blob: {len(pages)} files, {total / 2**20:.2f} MiB "
              f"({total_gz / 2**20:.2f} MiB gzip), the largest {max(a for a, _ in sizes) / 1024:.0f} KiB — "
              f"fetched once per screen, then only the ones that change")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 5000, args[1] if len(args) > 1 else 20000)
