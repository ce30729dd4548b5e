"""feed_build: time to build a device manifest with 5 000 items and a 20 000-row table, cold (first
screen after a change) and warm (every further screen of the same audiences), plus its size.

    .venv/bin/python tests/benchmarks/feed_build.py [ITEMS] [ROWS]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from sqlalchemy import select  # noqa: E402

from server import create_app, db  # noqa: E402
from server.screens.device_info import by_id  # noqa: E402
from server.screens.models import Device  # noqa: E402
from server.screens.device_feed import build_device_feed  # noqa: E402
from server.instance import find_unit, init_instance  # noqa: E402
from server.screens.keys import signing_key  # noqa: E402
from server.models import Category, Item, Revision, utcnow  # noqa: E402
from server.screens.push import current_mark  # noqa: E402


def seed(s, n_items: int, n_rows: int) -> None:
    unit = find_unit(s, None)
    cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "prices"))
    now = utcnow()
    table = {"columns": ["编码", "项目名称", "计价单位", "价格（元）", "医保类别"],
             "rows": [[f"{i:06d}", f"检查项目{i}号（含耗材）", "次", f"{i % 900 + 10}.00", "甲类"]
                      for i in range(n_rows)]}
    for i in range(n_items):
        item = Item(unit=unit, category=cat)
        item.revisions.append(Revision(number=1, title=f"公开事项 {i}", body="正文" * 40, status="published",
                                       audiences=[{"audiences": ["public"], "at": None}], published_at=now,
                                       window_start=now, table=table if i == 0 else None))
        s.add(item)
    for k in range(2):
        s.add(Device(id=f"bench{k}", kind="kiosk", screen_w=1080, screen_h=1920, status="active",
                     pairing_code="X", unit=unit, screen_code=f"SB{k}", audiences=["public"]))
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
        key = signing_key(app)
        for label, device_id in [("cold (first screen)", "bench0"), ("warm (next screen) ", "bench1")]:
            info = by_id(s, device_id, mark.device_epoch)
            t = time.perf_counter()
            feed = build_device_feed(s, info, mark)
            built = time.perf_counter() - t
            t = time.perf_counter()
            body = feed.signed_body(key, utcnow())
            signed = time.perf_counter() - t
            print(f"  {label}: build {built * 1000:8.1f} ms + sign {signed * 1000:6.1f} ms; "
                  f"manifest {len(body) / 2**20:.2f} MiB")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 5000, args[1] if len(args) > 1 else 20000)
