"""ingest_bulk: a ROWS-row drug list (50 000 by default) dropped into a real instance's inbox and taken by
`ingest --once` as a new item, published, then a changed export (1 % of rows removed, 1 % added,
5 % of prices changed) taken as a 更正 with its keyed diff; times for reading the CSV alone, the
diff alone, each `ingest --once`, and the reviewer's item page; and a PDF of very tall pages,
refused before rendering, with the peak memory of the process that refused it.

    .venv/bin/python tests/benchmarks/ingest_bulk.py [ROWS]
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
from sqlalchemy import select  # noqa: E402

from server import create_app, db  # noqa: E402
from server.__main__ import main as cli  # noqa: E402
from server.disclosure.csvread import read_table  # noqa: E402
from server.instance import create_user, find_unit, init_instance  # noqa: E402
from server.models import Item  # noqa: E402

HEADER = "药品编码,药品名称,规格,单位,零售价（元）"
TALL_PDF_CHILD = """
import sys, tempfile, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from pdf_samples import tall_pdf
from server.disclosure.uploads import store_visuals
from server.validation import ServiceError
data = tall_pdf(3)
start = time.perf_counter()
try:
    store_visuals(data, tempfile.mkdtemp(), 40_000_000)
    outcome = "stored"
except ServiceError:
    outcome = "refused"
peak = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]   # this program's own peak
print(len(data), outcome, round(time.perf_counter() - start, 3), int(peak) // 1024)
"""


def export(rows: int, change: bool = False) -> bytes:
    """The HIS export: GBK, a title line above the header, prices with thousands separators."""
    lines = ["2026年12月药品价格表", HEADER]
    for n in range(rows):
        if change and n % 100 == 0:
            continue                                   # 1 % removed
        price = (n % 900) * 3 + 1000.5 + (7 if change and n % 20 == 1 else 0)   # 5 % changed
        lines.append(f'Y{n:06d},药品{n}号,0.25g*24,盒,"{price:,.2f}"')
    if change:
        lines += [f'Z{n:06d},新增药品{n}号,10mg*10,盒,"{n + 10:,.2f}"' for n in range(rows // 100)]
    return ("\n".join(lines) + "\n").encode("gbk")


def _once(instance: str) -> float:
    start = time.perf_counter()
    code = cli(["ingest", "--once", "--instance", instance])
    assert code == 0, code
    return time.perf_counter() - start


def main(rows: int = 50_000) -> None:
    base = tempfile.mkdtemp(prefix="gongkai-ingest-bench-")
    instance = os.path.join(base, "instance")
    os.environ.pop("DATABASE_URL", None)
    os.environ["GONGKAI_INGEST_SETTLE_SECONDS"] = "0.2"
    app = create_app({"SECRET_KEY": "bench"}, instance_path=instance)
    init_instance(app, "基准医院", "B001")
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "B001")
        for name, role in (("alice", "contributor"), ("bob", "reviewer"), ("carol", "confidentiality"),
                           ("dan", "approver")):
            create_user(s, name, "bench-password", [role], unit)
        s.commit()
    first, second = export(rows), export(rows, change=True)
    start = time.perf_counter()
    read = read_table(second, 1_000_000)
    read_s = time.perf_counter() - start
    from content.tablediff import diff_tables
    start = time.perf_counter()
    diff = diff_tables(read_table(first, 1_000_000).table, read.table)
    diff_s = time.perf_counter() - start
    inbox = os.path.join(instance, "inbox", "drug-prices")
    os.makedirs(inbox)
    with open(os.path.join(inbox, "drugs-v1.csv"), "wb") as fh:
        fh.write(first)
    new_s = _once(instance)
    with app.app_context():
        item = db.session().scalar(select(Item).order_by(Item.id.desc()))
        item_id = item.id
    client = app.test_client()
    tokens = {u: client.post("/api/v1/tokens", json={"username": u, "password": "bench-password"}).get_json()["token"]
              for u in ("alice", "bob", "carol", "dan")}
    for action, user in (("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")):
        got = client.post(f"/api/v1/items/{item_id}/actions", json={"action": action},
                          headers={"Authorization": f"Bearer {tokens[user]}"})
        assert got.status_code == 200, got.get_json()
    with open(os.path.join(inbox, "drugs-v2.csv"), "wb") as fh:
        fh.write(second)
    correct_s = _once(instance)
    from test_admin import Staff
    bob = Staff(app)
    bob.login("bob", "bench-password")
    start = time.perf_counter()
    page = bob.get(f"/admin/items/{item_id}")
    page_s = time.perf_counter() - start
    assert page.status_code == 200 and 'id="table-diff"' in page.text
    reason = open(os.path.join(instance, "inbox", "processed", os.listdir(os.path.join(instance, "inbox", "processed"))[0],
                               "drug-prices", "drugs-v2.csv.reason.txt"), encoding="utf-8").read()
    app.extensions["gongkai.engine"].dispose()
    child = subprocess.run([sys.executable, "-c", TALL_PDF_CHILD.format(root=ROOT, tests=os.path.join(ROOT, "tests"))],
                           capture_output=True, text=True, check=True)
    size, outcome, pdf_s, rss = child.stdout.split()
    print(f"rows={rows} file={len(second) / 2**20:.1f} MiB read_csv={read_s:.2f} s diff={diff_s:.2f} s "
          f"(added={len(diff.added)} removed={len(diff.removed)} changed={len(diff.changed)})")
    print(f"ingest --once: new item {new_s:.2f} s, 更正 with diff {correct_s:.2f} s; reviewer page "
          f"{page_s:.2f} s ({page.status_code}, {len(page.data) / 1024:.0f} KiB)")
    print("reason: " + " | ".join(reason.strip().splitlines()[1:]))
    print(f"tall PDF: {size} bytes {outcome} in {pdf_s} s, peak RSS {rss} MiB")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
