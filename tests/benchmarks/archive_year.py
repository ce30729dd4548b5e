"""archive_year: a year's 归档 — ITEMS revisions (the first with a ROWS-row price table, 20 000 by default), MEDIA image
files of MIB MiB each, 2 000 feedback with handling steps, and the audit chain — timed for writing
and for verify-archive, with the zip's size and the peak Python memory while writing (media are
streamed, so memory should not grow with MEDIA × MIB).

    .venv/bin/python tests/benchmarks/archive_year.py [ITEMS] [MEDIA] [MIB] [FEEDBACK] [ROWS]
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from sqlalchemy import select  # noqa: E402

from server import audit, create_app, db  # noqa: E402
from server.records.archive import write_archive  # noqa: E402
from server.records.verify import verify_archive  # noqa: E402
from server.hearing.models import Feedback, HandlingStep  # noqa: E402
from server.instance import find_unit, init_instance  # noqa: E402
from server.models import Attachment, Category, Item, Revision, utcnow  # noqa: E402


def seed(s, media_dir: str, n_items: int, n_media: int, mib: int, n_feedback: int, rows: int) -> None:
    unit = find_unit(s, None)
    cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "prices"))
    now = utcnow()
    table = {"columns": ["编码", "项目名称", "计价单位", "价格（元）"],
             "rows": [[f"{i:06d}", f"检查项目{i}号", "次", f"{i % 900 + 10}.00"] for i in range(rows)]}
    os.makedirs(media_dir, exist_ok=True)
    shas = []
    for k in range(n_media):
        data = os.urandom(mib << 20)
        sha = hashlib.sha256(data).hexdigest()
        with open(os.path.join(media_dir, sha), "wb") as fh:
            fh.write(data)
        shas.append(sha)
    for i in range(n_items):
        rev = Revision(number=1, title=f"公开事项 {i}", body="**正文** " * 40, status="published",
                       audiences=[{"audiences": ["public"], "at": None}], published_at=now,
                       table=table if i == 0 else None)
        if i < len(shas):
            rev.attachments.append(Attachment(sha256=shas[i], mime="image/png", width=1, height=1, size=mib << 20))
        s.add(Item(unit=unit, category=cat, revisions=[rev]))
        audit.record(s, "bench", "item.create", f"item:{i}", None, {"title": rev.title})
    for i in range(n_feedback):
        s.add(Feedback(unit_id=unit.id, code=f"FK-B-{i:06d}", kind="suggestion", text="建议" * 20,
                       due_date=date.today() + timedelta(days=7), status="closed",
                       steps=[HandlingStep(actor="public", action="received"),
                              HandlingStep(actor="bob", action="closed", note="已办结")]))
        audit.record(s, "public", "feedback.create", f"feedback:{i}", None, {"n": i})
    s.commit()


def main(n_items: int = 2000, n_media: int = 50, mib: int = 4, n_feedback: int = 2000, rows: int = 20000) -> None:
    base = tempfile.mkdtemp()
    app = create_app({"SECRET_KEY": "bench"}, instance_path=base + "/instance")
    init_instance(app)
    out = os.path.join(base, "year.zip")
    year = utcnow().year
    with app.app_context():
        s = db.session()
        t = time.perf_counter()
        seed(s, app.config["MEDIA_DIR"], n_items, n_media, mib, n_feedback, rows)
        print(f"archive_year: seeded {n_items} items, {n_media} × {mib} MiB media, {n_feedback} feedback "
              f"in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        manifest = write_archive(s, out, app.config["MEDIA_DIR"], date(year, 1, 1), date(year, 12, 31))
        wrote = time.perf_counter() - t
        tracemalloc.start()             # a second pass only for memory: tracing slows Python down
        write_archive(s, out + ".2", app.config["MEDIA_DIR"], date(year, 1, 1), date(year, 12, 31))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    size = os.path.getsize(out)
    print(f"archive_year: write {wrote:.2f} s, zip {size / 2**20:.1f} MiB ({size / 2**20 / wrote:.1f} MiB/s), "
          f"{len(manifest['files'])} files, {manifest['counts']['audit']} audit entries, "
          f"peak Python memory while writing {peak / 2**20:.1f} MiB")
    t = time.perf_counter()
    problems, _ = verify_archive(out)
    print(f"archive_year: verify {time.perf_counter() - t:.2f} s, problems={len(problems)}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
