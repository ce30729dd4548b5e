"""step_boundaries: what the 先内后外 step job costs on each wake-up with many live revisions —
finding the next boundary and checking whether a step opened — and one step's bump, plus the public
rule (content/visibility.py) over every live revision.

    .venv/bin/python tests/benchmarks/step_boundaries.py [LIVE_REVISIONS] [ROUNDS]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from sqlalchemy import select  # noqa: E402

from server import create_app, db  # noqa: E402
from server.disclosure.boundaries import next_boundary, open_audience_steps  # noqa: E402
from server.disclosure.exposure import public_now  # noqa: E402
from server.instance import find_unit, init_instance  # noqa: E402
from server.models import Category, Item, Revision, utcnow  # noqa: E402
from server.screens.push import current_mark  # noqa: E402


def seed(s, n: int) -> None:
    unit = find_unit(s, None)
    cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "notices"))
    now = utcnow()
    for i in range(n):
        step = (now + timedelta(hours=1 + i % 500)).isoformat()
        plan = ([{"audiences": ["staff"], "at": None}, {"audiences": ["public"], "at": step}] if i % 2
                else [{"audiences": ["public"], "at": None}])
        item = Item(unit=unit, category=cat)
        item.revisions.append(Revision(number=1, title=f"事项 {i}", status="published", audiences=plan,
                                       published_at=now, window_start=now))
        s.add(item)
    s.commit()


def ms(samples) -> str:
    return f"p50={statistics.median(samples) * 1000:.1f} ms max={max(samples) * 1000:.1f} ms"


def main(n: int, rounds: int) -> None:
    app = create_app({"SECRET_KEY": "bench"}, instance_path=tempfile.mkdtemp() + "/instance")
    init_instance(app)
    with app.app_context():
        s = db.session()
        seed(s, n)
        now = utcnow()
        wake, check = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            upcoming = next_boundary(s, now)
            wake.append(time.perf_counter() - t)
            t = time.perf_counter()
            open_audience_steps(s, now)
            check.append(time.perf_counter() - t)
        before = current_mark(s).version
        t = time.perf_counter()
        bumped = open_audience_steps(s, upcoming + timedelta(seconds=1))
        bump = time.perf_counter() - t
        revs = s.scalars(select(Revision)).all()
        t = time.perf_counter()
        shown = sum(public_now(r, now) for r in revs)
        rule = time.perf_counter() - t
        print(f"step_boundaries: {n} live revisions ({n // 2} with a later step), {rounds} rounds")
        print(f"  next boundary: {ms(wake)}; step check (none due): {ms(check)}")
        print(f"  a step opened: bumped={bumped} version {before}->{current_mark(s).version} in {bump * 1000:.1f} ms")
        print(f"  public rule over all: {rule / max(1, len(revs)) * 1e6:.1f} µs per revision; public now={shown}")
    app.extensions["gongkai.engine"].dispose()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 5000, args[1] if len(args) > 1 else 20)
