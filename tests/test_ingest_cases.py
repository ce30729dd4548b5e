"""The drop folder as a hospital's IT staff use it (issue #20): each case drops real files into the real
inbox of a running server (`python -m server run`, two gunicorn workers, each watching the inbox)
and, the same case once more, into a fresh instance taken by `python -m server ingest --once`; it
checks the reason file, the item and the audit entry.

The server is started once for the module, so each case uses categories no other case uses."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import select

from conftest import PASSWORD, Api
from pdf_samples import tall_pdf
from server import create_app, db
from server.ingest.models import IngestedFile
from server.models import AuditEntry, Category, Item, User

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTLE = 0.3
CONFIG = f"INGEST_SETTLE_SECONDS = {SETTLE}\nINGEST_ABANDON_SECONDS = 30\nINGEST_RESCAN_SECONDS = 2\n"
MODES = ("server", "once")
HEADER = "项目编码,项目名称,单位,价格"


# As root, the server and the `--once` processes that meet permissions run without the capabilities
# that let root ignore them (as the service account runs in production); as anyone else, they are plain.
UNPRIVILEGED = ["setpriv", "--inh-caps=-dac_override,-dac_read_search,-fowner",
                "--bounding-set=-dac_override,-dac_read_search,-fowner"] if os.geteuid() == 0 else []


def table_csv(rows: int, start: int = 0, price=lambda n: f"{n}.00", header: str = HEADER) -> str:
    return header + "\n" + "".join(f"A{n:04d},检查项目{n},次,{price(n)}\n" for n in range(start, start + rows))


class HttpApi:
    """The staff JSON API of the running server, over real HTTP."""

    def __init__(self, url: str):
        self.url, self.tokens = url, {}

    def call(self, method: str, path: str, user: str, **kw):
        if user not in self.tokens:
            got = httpx.post(self.url + "/api/v1/tokens", json={"username": user, "password": PASSWORD})
            self.tokens[user] = got.json()["token"]
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kw.pop("headers", {})}
        if "data" in kw and isinstance(kw["data"], bytes):
            kw["content"] = kw.pop("data")
        return httpx.request(method, self.url + "/api/v1" + path, headers=headers, timeout=60, **kw)


class ClientApi(Api):
    """The same API through Flask's test client (once mode: no server runs), answering like httpx."""

    class Answer:
        def __init__(self, resp):
            self.status_code, self._json = resp.status_code, resp.get_json(silent=True)

        def json(self):
            return self._json

    def call(self, method: str, path: str, user: str | None = None, **kwargs):
        if "files" in kwargs:
            name, data, _mime = kwargs.pop("files")["file"]
            kwargs.update(data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        return self.Answer(super().call(method, path, user, **kwargs))


class Drops:
    """One inbox, whichever way it is taken: drop files, let it be taken, read what happened."""

    def __init__(self, mode: str, instance: str, api, url: str | None = None, log: str | None = None):
        self.mode, self.instance, self.api, self.url, self.log = mode, instance, api, url, log
        self.root = os.path.join(instance, "inbox")
        self.app = create_app({"TESTING": True}, instance_path=instance)
        self.exit_codes: list[int] = []

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def drop(self, rel: str, data: bytes, mtime: float | None = None) -> str:
        path = self.path(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def take(self) -> None:
        """`ingest --once` in once mode (its exit code kept); the server takes files by itself."""
        if self.mode == "once":
            from server.__main__ import main
            self.exit_codes.append(main(["ingest", "--once", "--instance", self.instance]))

    def reason(self, rel: str, timeout: float = 30.0) -> tuple[str, str]:
        """(processed|rejected, the reason text) of the file dropped at `rel`."""
        deadline = time.monotonic() + (timeout if self.mode == "server" else 0)
        folder, name = os.path.split(rel)
        while True:
            for kind in ("processed", "rejected"):
                base = os.path.join(self.root, kind)
                for day in sorted(os.listdir(base)) if os.path.isdir(base) else []:
                    found = os.path.join(base, day, folder, name + ".reason.txt")
                    if os.path.exists(found):
                        with open(found, encoding="utf-8") as fh:
                            return kind, fh.read()
            if time.monotonic() > deadline:
                raise AssertionError(f"no reason file for {rel}; inbox: {sorted(self._listing())}")
            time.sleep(0.05)

    def _listing(self):
        return [os.path.relpath(os.path.join(d, f), self.root) for d, _, files in os.walk(self.root) for f in files]

    def take_unprivileged(self) -> None:
        """`ingest --once` as its own process, subject to file permissions like the server."""
        if self.mode == "once":
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            done = subprocess.run(UNPRIVILEGED + [sys.executable, "-m", "server", "ingest", "--once", "--instance",
                                                  self.instance], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=120)
            assert done.returncode in (0, 1), done.stdout + done.stderr
            self.exit_codes.append(done.returncode)

    def taken(self, rel: str, timeout: float = 30.0) -> tuple[str, str]:
        self.take()
        return self.reason(rel, timeout)

    def items(self, category: str, unit: str = "H001") -> list[Item]:
        with self.app.app_context():
            s = db.session()
            found = s.scalars(select(Item).join(Category, Item.category_id == Category.id)
                              .where(Category.key == category).order_by(Item.id)).all()
            found = [i for i in found if i.unit.code == unit and i.kind == "item"]   # not 更正说明 notices
            for item in found:
                _ = [(r.table, r.attachments, r.reason) for r in item.revisions]
            return found

    def audit(self, action: str, file: str) -> list[dict]:
        with self.app.app_context():
            rows = db.session().scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
            return [a for a in (json.loads(r.after or "null") or {} for r in rows) if a.get("file") == file]

    def publish(self, item_id: int) -> None:
        for action, user in [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")]:
            got = self.api.call("POST", f"/items/{item_id}/actions", user, json={"action": action, "comment": "同意"})
            assert got.status_code == 200, (action, got.json())

    def as_admin(self, work) -> None:
        """Do something as the unit's admin through the service layer (the catalog's import setting)."""
        with self.app.app_context():
            s = db.session()
            root = s.scalar(select(User).where(User.username == "root"))
            work(s, root)

    def close(self) -> None:
        self.app.extensions["gongkai.engine"].dispose()


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(template_instance, tmp_path_factory):
    """`python -m server run --workers 2` over a copy of the test template, with a quick settle."""
    base = tmp_path_factory.mktemp("served")
    instance = base / "instance"
    shutil.copytree(template_instance, instance)
    (instance / "config.py").write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(UNPRIVILEGED + [sys.executable, "-m", "server", "run", "--instance", str(instance),
                                            "--port", str(port), "--workers", "2"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/api/v1/openapi.json", timeout=1)
            break
        except httpx.HTTPError:
            assert proc.poll() is None, open(base / "server.log").read()
            time.sleep(0.1)
    yield str(instance), url, str(base / "server.log")
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(params=MODES)
def drops(request, template_instance, tmp_path, monkeypatch):
    if request.param == "server":
        instance, url, log = request.getfixturevalue("server")
        got = Drops("server", instance, HttpApi(url), url, log)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        instance = tmp_path / "instance"
        shutil.copytree(template_instance, instance)
        (instance / "config.py").write_text(CONFIG, encoding="utf-8")
        got = Drops("once", str(instance), None)
        got.api = ClientApi(got.app.test_client())
    yield got
    if got.mode == "server":
        with open(got.log, encoding="utf-8") as fh:
            assert "inbox scan failed" not in fh.read()
    got.close()


# --- wrong data, silently ------------------------------------------------------------------------

def test_a_revert_after_a_correction_makes_a_revision(drops):
    """v1 published, a 更正 to v2 published, then v1's exact content again (a price reverted, a good
    export re-sent): a duplicate is what is there now, so this is a new 更正 revision."""
    v1, v2 = table_csv(5).encode(), table_csv(5, price=lambda n: f"{n + 1}.50").encode()
    drops.drop("drug-prices/v1.csv", v1)
    kind, reason = drops.taken("drug-prices/v1.csv")
    assert kind == "processed" and "新事项草稿" in reason, reason
    (item,) = drops.items("drug-prices")
    drops.drop("drug-prices/v1-again.csv", v1)   # the same as the draft: nothing to do
    kind, reason = drops.taken("drug-prices/v1-again.csv")
    assert kind == "processed" and f"未生成修订：内容与事项 #{item.id}" in reason and "（草稿）" in reason, reason
    drops.publish(item.id)
    drops.drop("drug-prices/v2.csv", v2)
    kind, reason = drops.taken("drug-prices/v2.csv")
    assert kind == "processed" and "第 2 版，更正草稿" in reason and "修改 5 行" in reason, reason
    drops.publish(item.id)
    drops.drop("drug-prices/v1-reverted.csv", v1)
    kind, reason = drops.taken("drug-prices/v1-reverted.csv")
    assert kind == "processed" and "第 3 版，更正草稿" in reason and "与已公开的第 2 版相比" in reason, reason
    (item,) = drops.items("drug-prices")
    assert [r.status for r in item.revisions] == ["superseded", "published", "draft"]
    assert item.revisions[2].table == item.revisions[0].table != item.revisions[1].table
    (entry,) = drops.audit("ingest.processed", "v1-reverted.csv")
    assert (entry["item"], entry["revision"]) == (item.id, 3)
    assert drops.audit("ingest.duplicate", "v1-again.csv")
    assert set(drops.exit_codes) <= {0}


def _slow_writer(path: str, parts: list[bytes], pause: float, preallocate: int | None = None) -> threading.Thread:
    """Write `parts` into `path` with `pause` between them (a share that hiccups); with
    `preallocate`, the file first gets its final size in empty bytes, as Windows shares often do."""
    os.makedirs(os.path.dirname(path), exist_ok=True)

    def write():
        with open(path, "wb", buffering=0) as fh:
            if preallocate:
                fh.truncate(preallocate)
            for n, part in enumerate(parts):
                if n:
                    time.sleep(pause)
                before = time.monotonic()
                fh.write(part)
                thread.spans.append((before, time.monotonic()))
    thread = threading.Thread(target=write)
    thread.spans = []   # (start, end) of each write: a busy machine may stretch the pauses
    thread.start()
    return thread


def _take_while(drops: Drops, thread: threading.Thread) -> None:
    """In once mode, run `ingest --once` while the writer is busy, then again when it is done."""
    if drops.mode == "once":
        time.sleep(0.05)
        drops.take()
    thread.join()


def test_a_writer_that_pauses_is_not_read_half_written(drops):
    """86 of 210 rows, a pause longer than the settle time (but within the two settles the design
    covers), then the rest: the draft has 210 rows and no revision ever had 86. A busy machine can
    stretch the writer's pause past that; such a try proves nothing, so up to three are made."""
    data = table_csv(210).encode()
    cut = data.index(b"\nA0086,") + 1
    for category in ("average-costs", "disclosure-guide", "complaints"):
        thread = _slow_writer(drops.path(f"{category}/his-export.csv"), [data[:cut], data[cut:]], SETTLE * 1.3)
        _take_while(drops, thread)
        kind, reason = drops.taken(f"{category}/his-export.csv")
        (first, _), (_, last) = thread.spans
        if last - first >= 2 * SETTLE:
            continue
        assert kind == "processed" and "表格：210 行 × 4 列" in reason, reason
        (item,) = drops.items(category)
        assert len(item.revisions) == 1 and len(item.revisions[0].table["rows"]) == 210
        with drops.app.app_context():
            sizes = {(json.loads(e.after or "null") or {}).get("table_rows") for e in db.session().scalars(
                select(AuditEntry).where(AuditEntry.target.like(f"item:{item.id}/%")))}
            rows = db.session().scalars(select(IngestedFile).where(IngestedFile.category_key == category)).all()
        assert 86 not in sizes and 210 in sizes and len(rows) == 1
        day = sorted(os.listdir(drops.path("processed")))[-1]
        assert open(drops.path(f"processed/{day}/{category}/his-export.csv"), "rb").read() == data
        return
    pytest.fail("three times the writer's pause stretched past two settle intervals: the machine is too busy")


def test_a_preallocated_write_is_taken_when_complete_and_an_abandoned_one_explained(drops):
    data = table_csv(120).encode("gbk")
    thirds = [data[:len(data) // 3], data[len(data) // 3:2 * len(data) // 3], data[2 * len(data) // 3:]]
    thread = _slow_writer(drops.path("procurement/采购目录.csv"), thirds, SETTLE * 2.5, preallocate=len(data))
    _take_while(drops, thread)
    kind, reason = drops.taken("procurement/采购目录.csv")
    assert kind == "processed" and "表格：120 行" in reason and "GBK" in reason, reason
    (item,) = drops.items("procurement")
    assert item.revisions[0].title == "采购目录" and len(item.revisions[0].table["rows"]) == 120
    # a pre-allocated copy that never finished: explained as such once it has sat long enough
    stale = time.time() - 3600
    drops.drop("procurement/stalled.csv", data[:500] + b"\x00" * 4000, mtime=stale)
    kind, reason = drops.taken("procurement/stalled.csv")
    assert kind == "rejected" and "文件末尾是空字节（0x00）" in reason and "不是文本文件" not in reason, reason
    (entry,) = drops.audit("ingest.rejected", "stalled.csv")
    assert entry["item"] is None and len(drops.items("procurement")) == 1


def test_files_go_to_one_explicit_item_and_the_notice_names_no_file(drops):
    """A category set to one item per file: a 210-row price table never overwrites the 3-row notice
    table drafted before it. A category with one published table: files update it, and the 更正说明
    published with it says what changed, never which file."""
    from server.ingest.targets import set_target

    def one_per_file(s, root):
        cat = s.scalar(select(Category).where(Category.key == "quality-evaluation", Category.unit_id == 1))
        set_target(s, root, cat.unit, cat, None, True)
    drops.as_admin(one_per_file)
    drops.drop("quality-evaluation/a1_notice.csv", "序号,事项,日期\n1,停诊通知,12-01\n2,义诊,12-05\n3,讲座,12-09\n".encode())
    assert drops.taken("quality-evaluation/a1_notice.csv")[0] == "processed"
    drops.drop("quality-evaluation/b_prices.csv", table_csv(210).encode())
    kind, reason = drops.taken("quality-evaluation/b_prices.csv")
    assert kind == "processed" and "本栏目每个文件新建事项" in reason, reason
    notice, prices = drops.items("quality-evaluation")
    assert len(notice.revisions[0].table["rows"]) == 3 and len(prices.revisions[0].table["rows"]) == 210

    listed = drops.api.call("POST", "/items", "alice", json={"category": "insurance", "title": "医保报销比例", "body": ""})
    item_id = listed.json()["id"]
    put = drops.api.call("PUT", f"/items/{item_id}/table?version={listed.json()['version']}", "alice",
                         data=table_csv(10).encode(), headers={"Content-Type": "text/csv"})
    assert put.status_code == 200, put.json()
    drops.publish(item_id)
    drops.drop("insurance/a1_his_gbk.csv", table_csv(12).encode("gbk"))
    kind, reason = drops.taken("insurance/a1_his_gbk.csv")
    assert kind == "processed" and f"事项 #{item_id}「医保报销比例」第 2 版，更正草稿" in reason, reason
    drops.drop("insurance/b2_final.csv", table_csv(11, price=lambda n: f"{n}.80").encode())
    kind, reason = drops.taken("insurance/b2_final.csv")
    assert kind == "processed" and "更新了尚未提交的导入草稿" in reason, reason
    drops.drop(f"insurance/c#{notice.id}.csv", table_csv(2).encode())   # names an item of another category
    kind, reason = drops.taken(f"insurance/c#{notice.id}.csv")
    assert kind == "rejected" and f"文件名指定的事项 #{notice.id} 不在栏目" in reason, reason
    drops.publish(item_id)
    with drops.app.app_context():
        s = db.session()
        published = s.scalars(select(Item).where(Item.related_item_id == item_id)).all()
        (note,) = [n.revisions[0] for n in published]
        assert note.title == "更正说明：医保报销比例"
        assert "新增 1 行、删除 0 行、修改 10 行，现共 11 行" in note.body
        for secret in ("收件箱", ".csv", "a1_his_gbk", "b2_final"):
            assert secret not in note.body
    assert drops.audit("ingest.processed", "b2_final.csv")[0]["item"] == item_id


def test_twenty_files_at_once_into_one_category_each_taken_once_in_order(drops):
    """20 exports dropped together (two server processes watching): each gets one reason, the
    category's one item ends with the last file's table, the identical one is a duplicate."""
    for n in range(20):
        drops.drop(f"leader-reports/export-{n:02d}.csv", table_csv(3 + (n if n != 7 else 6)).encode())
    drops.take()
    outcomes = [drops.reason(f"leader-reports/export-{n:02d}.csv") for n in range(20)]
    assert [kind for kind, _ in outcomes] == ["processed"] * 20
    assert sum("未生成修订" in reason for _, reason in outcomes) == 1 and "未生成修订" in outcomes[7][1]
    (item,) = drops.items("leader-reports")
    assert len(item.revisions) == 1 and len(item.revisions[0].table["rows"]) == 3 + 19
    with drops.app.app_context():
        rows = db.session().scalars(select(IngestedFile).where(IngestedFile.category_key == "leader-reports")).all()
    assert sorted(r.filename for r in rows) == [f"export-{n:02d}.csv" for n in range(20)]
    assert sorted(r.id for r in rows) == [r.id for r in sorted(rows, key=lambda r: r.filename)]   # in name order


def test_doubled_quotes_after_the_first_4_kb_are_read_as_excel_wrote_them(drops):
    rows = table_csv(300) + 'Y0001,"阿莫西林""儿童""颗粒",盒,"1,234.50"\n'
    assert len(rows.encode()) > 4096 and '"' not in rows[:4096]
    drops.drop("care-guide/drugs.csv", rows.encode())
    kind, reason = drops.taken("care-guide/drugs.csv")
    assert kind == "processed" and "301 行 × 4 列" in reason, reason
    (item,) = drops.items("care-guide")
    assert item.revisions[0].table["rows"][-1] == ["Y0001", '阿莫西林"儿童"颗粒', "盒", "1,234.50"]


# --- ingest stops, or reaches outside the inbox ----------------------------------------------------

def _unmovable(folder: str, on: bool) -> None:
    """A folder nothing can be moved out of: immutable for root (chattr +i), read-only otherwise."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", folder], check=True)
    else:
        os.chmod(folder, 0o555 if on else 0o755)


def test_a_folder_files_cannot_be_moved_out_of_stops_nothing(drops):
    stuck = drops.path("dispute-procedure")
    drops.drop("dispute-procedure/locked.csv", table_csv(3).encode())
    _unmovable(stuck, True)
    try:
        drops.drop("informed-consent/after.csv", table_csv(4).encode())   # sorts after the stuck one
        kind, reason = drops.taken("informed-consent/after.csv")
        assert kind == "processed", reason
        kind, reason = drops.reason("dispute-procedure/locked.csv")
        assert kind == "rejected" and "无法移出收件箱" in reason and "留在原处" in reason, reason
        assert os.path.exists(os.path.join(stuck, "locked.csv"))
        drops.take()
        time.sleep(SETTLE * 3)
        assert len(drops.audit("ingest.rejected", "locked.csv")) == 1    # told once, not every scan
    finally:
        _unmovable(stuck, False)
    assert drops.items("dispute-procedure") == [] and len(drops.items("informed-consent")) == 1


def test_files_and_folders_it_may_not_touch_get_reasons_and_stop_nothing(drops):
    """An unreadable folder, an unreadable file, a folder whose files may not be moved away (owned
    by someone else): each explained, and the good file after them taken in the same scan."""
    drops.drop("staffing/hidden-away.csv", table_csv(2).encode())
    drops.drop("professional-titles/secret.csv", table_csv(2).encode())
    drops.drop("pay-adjustments/theirs.csv", table_csv(2).encode())
    closed = [(drops.path("staffing"), 0o000), (drops.path("professional-titles/secret.csv"), 0o000),
              (drops.path("pay-adjustments"), 0o555)]
    for path, mode in closed:
        os.chmod(path, mode)
    try:
        drops.drop("pre-appointment/ok.csv", table_csv(3).encode())
        drops.take_unprivileged()
        kind, reason = drops.reason("pre-appointment/ok.csv")
        assert kind == "processed", reason
        kind, reason = drops.reason("staffing")
        assert kind == "rejected" and "无法读取文件夹「staffing」" in reason, reason
        kind, reason = drops.reason("professional-titles/secret.csv")
        assert kind == "rejected" and "无法读取此文件" in reason, reason
        kind, reason = drops.reason("pay-adjustments/theirs.csv")
        assert kind == "rejected" and "无法移出收件箱" in reason, reason
        assert os.path.exists(drops.path("pay-adjustments/theirs.csv"))
    finally:
        for path, _mode in closed:
            if os.path.exists(path):
                os.chmod(path, 0o755)
    assert drops.items("professional-titles") == []
    kind, reason = drops.taken("staffing/hidden-away.csv")   # readable again: taken like any other
    assert kind == "processed", reason


def test_links_are_never_followed(drops, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(table_csv(3).encode())
    os.makedirs(drops.root, exist_ok=True)
    os.symlink(outside, drops.path("conveniences"))                          # a category folder
    os.makedirs(drops.path("wayfinding"))
    os.symlink(outside / "secret.csv", drops.path("wayfinding/link.csv"))    # a file
    os.makedirs(drops.path("H002"), exist_ok=True)
    os.symlink(drops.instance, drops.path("H002/records-copy"))              # into the instance folder
    keys = ("gongkai.db", "feed_key.pem", "secret_key")
    before = {n: os.stat(os.path.join(drops.instance, n)).st_ino for n in keys}
    evil = tmp_path / "evil"
    evil.mkdir()
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    os.makedirs(drops.path(f"processed/{day}"), exist_ok=True)
    os.symlink(evil, drops.path(f"processed/{day}/H002"))                    # where a good file would go
    drops.drop("H002/prices/good.csv", table_csv(2).encode())
    for rel in ("conveniences", "wayfinding/link.csv", "H002/records-copy"):
        kind, reason = drops.taken(rel)
        assert kind == "rejected" and "符号链接" in reason, (rel, reason)
    kind, reason = drops.taken("H002/prices/good.csv")
    assert kind == "processed", reason
    assert os.path.isdir(drops.path(f"processed/{day}/H002")) and not os.path.islink(drops.path(f"processed/{day}/H002"))
    assert os.listdir(evil) == []
    assert sorted(os.listdir(outside)) == ["secret.csv"] and (outside / "secret.csv").read_bytes() == table_csv(3).encode()
    assert {n: os.stat(os.path.join(drops.instance, n)).st_ino for n in keys} == before   # nothing moved away
    assert os.path.islink(drops.path(f"rejected/{day}/H002/records-copy"))
    assert drops.items("conveniences") == [] and drops.items("wayfinding") == []
    assert len(drops.items("prices", "H002")) == 1
    assert drops.audit("ingest.rejected", "link.csv")


def test_claims_of_a_dead_process_come_back_at_the_next_scan(drops):
    """A claim folder whose lock nobody holds is given back at the next scan — by a server that has
    been running all along, and even when its owner's PID is alive again (a container's PID 1)."""
    work = drops.path(".work")
    os.makedirs(os.path.join(work, "1-deadbeef", "org-structure"))
    with open(os.path.join(work, "1-deadbeef", "org-structure", "left.csv"), "wb") as fh:
        fh.write(table_csv(3).encode())
    open(os.path.join(work, "1-deadbeef.lock"), "w").close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({os.path.join(work, '1-cafebabe.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(600)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        os.makedirs(os.path.join(work, "1-cafebabe", "party-dues"))
        with open(os.path.join(work, "1-cafebabe", "party-dues", "busy.csv"), "wb") as fh:
            fh.write(table_csv(4).encode())
        kind, reason = drops.taken("org-structure/left.csv")
        assert kind == "processed", reason
        drops.take()
        time.sleep(SETTLE * 4)
        assert os.path.exists(os.path.join(work, "1-cafebabe", "party-dues", "busy.csv"))   # its owner lives
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    kind, reason = drops.taken("party-dues/busy.csv")
    assert kind == "processed", reason
    assert not os.path.exists(os.path.join(work, "1-deadbeef")) and not os.path.exists(os.path.join(work, "1-cafebabe"))


# --- the operator is misled ------------------------------------------------------------------------

def test_real_exports_are_read_as_they_are(drops):
    titled = "2026年12月医疗服务价格表\n" + table_csv(5)
    drops.drop("staff-credentials/titled.csv", titled.encode("gbk"))
    excel = "".join(line + ",,\n" for line in table_csv(4).splitlines()) + ",,,,,\n"
    drops.drop("technology-equipment/excel.csv", excel.encode("utf-8-sig"))
    unicode_text = table_csv(3).replace(",", "\t").replace("\n", "\r\n")
    drops.drop("care-rules/unicode.txt", unicode_text.encode("utf-16"))
    kind, reason = drops.taken("staff-credentials/titled.csv")
    assert kind == "processed" and "说明：已跳过表头上方的 1 行：「2026年12月医疗服务价格表」" in reason, reason
    kind, reason = drops.reason("technology-equipment/excel.csv")
    assert kind == "processed" and "说明：已去掉末尾 2 个空列" in reason, reason
    kind, reason = drops.reason("care-rules/unicode.txt")
    assert kind == "processed" and "UTF-16 编码，制表符分隔" in reason, reason
    for category, rows in (("staff-credentials", 5), ("technology-equipment", 4), ("care-rules", 3)):
        (item,) = drops.items(category)
        assert item.revisions[0].table["columns"] == HEADER.split(",") and len(item.revisions[0].table["rows"]) == rows


def test_text_that_is_not_what_it_claims_is_refused_saying_where(drops):
    german = "Lieferant,Artikel,Preis\nMüller GmbH,Spülmaschine,1200\nHöfer AG,Kühlschrank,800\n".encode("cp1252")
    drops.drop("dispute-outcomes/lieferanten.csv", german)
    late_nul = table_csv(200).encode()
    late_nul = late_nul[:5000] + b"\x00" + late_nul[5001:]
    drops.drop("monitored-drugs/nul.csv", late_nul)
    kind, reason = drops.taken("dispute-outcomes/lieferanten.csv")
    assert kind == "rejected" and "从第 26 个字节（偏移 25，0xFC）起不是 UTF-8" in reason and "生僻字" in reason, reason
    kind, reason = drops.reason("monitored-drugs/nul.csv")
    assert kind == "rejected" and "第 5001 个字节（偏移 5000）是空字节" in reason, reason
    assert drops.items("dispute-outcomes") == [] and drops.items("monitored-drugs") == []
    assert drops.audit("ingest.rejected", "nul.csv")[0]["sha256"]


def test_reasons_count_what_changed_and_warn_like_the_reviewers_page(drops):
    """A truncated export (60 of 100 rows), a key given twice, a column name given twice."""
    header = HEADER + ",备注,备注"   # the published table repeats a name too: the rows still match
    listed = drops.api.call("POST", "/items", "alice", json={"category": "medical-statistics", "title": "检查价格", "body": ""})
    item_id = listed.json()["id"]
    full = table_csv(100, header=header).replace("\n", ",,\n").replace(",,\n", "\n", 1)
    assert drops.api.call("PUT", f"/items/{item_id}/table?version={listed.json()['version']}", "alice",
                          data=full.encode(), headers={"Content-Type": "text/csv"}).status_code == 200
    drops.publish(item_id)
    truncated = table_csv(60, price=lambda n: f"{n}.00" if n % 10 else f"{n}.10", header=header)
    truncated = truncated.replace("\n", ",,\n").replace(",,\n", "\n", 1) + "A0001,重复的行,次,1.00,,\n"
    drops.drop("medical-statistics/truncated.csv", truncated.encode())
    kind, reason = drops.taken("medical-statistics/truncated.csv")
    assert kind == "processed", reason
    assert "与已公开的第 1 版相比：新增 1 行，删除 40 行，修改 6 行，未变 54 行（按「项目编码」列对应）" in reason, reason
    warnings = [line[len("注意："):] for line in reason.splitlines() if line.startswith("注意：")]
    assert len(warnings) == 3 and any("删除了 40 行，占原表 100 行的 40%" in w for w in warnings), reason
    assert any("「项目编码」列有 1 个值重复出现（如 A0001）" in w for w in warnings)
    assert any("表头有重复的列名：备注" in w for w in warnings)
    from test_admin import Staff
    page = Staff(drops.app, "bob").get(f"/admin/items/{item_id}").text
    box = page.split('id="table-warnings"')[1].split("</section>")[0]
    assert all(w in box for w in warnings) and page.index('id="table-warnings"') < page.index('id="table-diff"')


def test_every_file_gets_a_reason_and_one_bad_name_stops_nothing(drops):
    long_name = "医" * 80 + "-价格表.csv"                      # 252 bytes: its reason name would not fit
    assert len(long_name.encode()) >= 243
    drops.drop(f"awards/{long_name}", table_csv(2).encode())
    drops.drop("awards/.hidden.csv", table_csv(2).encode(), mtime=time.time() - 3600)
    drops.drop("H009/housing/x.csv", table_csv(2).encode())
    drops.drop("awards/zz-good.csv", table_csv(3).encode())
    os.mkfifo(drops.path("awards/pipe.csv"))
    os.symlink("/etc/hostname", drops.path("awards/hostname.csv"))
    kind, reason = drops.taken("awards/zz-good.csv")
    assert kind == "processed", reason
    expected = {"awards/.hidden.csv": "临时文件名", "H009/housing/x.csv": "文件夹「H009」既不是单位代码，也不是栏目代码",
                "awards/pipe.csv": "不是普通文件", "awards/hostname.csv": "符号链接"}
    for rel, words in expected.items():
        kind, reason = drops.reason(rel)
        assert kind == "rejected" and words in reason, (rel, reason)
    processed = drops.path(f"processed/{sorted(os.listdir(drops.path('processed')))[-1]}/awards")
    deadline = time.monotonic() + 30
    while not (shortened := [n for n in os.listdir(processed) if n.startswith("医" * 10) and n.endswith(".reason.txt")]):
        assert time.monotonic() < deadline, os.listdir(processed)
        time.sleep(0.05)
    assert len(shortened) == 1 and len(shortened[0].encode()) <= 255 and os.path.exists(
        os.path.join(processed, shortened[0][:-len(".reason.txt")]))
    reason = open(os.path.join(processed, shortened[0]), encoding="utf-8").read()
    assert "原文件名：" + long_name in reason and "已导入" in reason
    assert os.listdir(drops.path("awards")) == []
    assert drops.audit("ingest.rejected", "x.csv")[0]["folder"] == "H009/housing"


def test_a_pdf_of_very_tall_pages_is_measured_before_it_is_rendered(drops):
    pdf = tall_pdf()
    assert len(pdf) < 2000
    drops.drop("union-welfare/tall.pdf", pdf)
    kind, reason = drops.taken("union-welfare/tall.pdf")
    assert kind == "rejected" and "PDF 第 1 页过大：按屏幕宽度渲染需 1600×57600 像素" in reason and "未渲染" in reason, reason
    assert drops.items("union-welfare") == []
    listed = drops.api.call("POST", "/items", "alice", json={"category": "union-welfare", "title": "福利", "body": ""})
    upload = drops.api.call("POST", f"/items/{listed.json()['id']}/images", "alice",
                            files={"file": ("tall.pdf", pdf, "application/pdf")})
    assert upload.status_code == 422
    assert "PDF 第 1 页过大" in json.dumps(upload.json(), ensure_ascii=False)
