"""归档 as an operator runs it: a real instance with published and withdrawn items, images, feedback
with its handling and requests → `python -m server archive` → `verify-archive` says intact; a changed,
deleted or extra file, or an edited audit chain, is named; zip-slip entries are refused; the period
filter keeps other years out."""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import select

from server import db

from server.hearing import feedback as fbs
from server.hearing.tracking import rating_key

from server.hearing import requests as rqs
from server.__main__ import main
from server.records.archive import UnsafeArchive, extract_archive
from server.instance import create_user, find_unit
from server.models import User
from server.disclosure.uploads import store_image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
YEAR = datetime.now(timezone(timedelta(hours=8))).year


def cli(*args):
    return subprocess.run([sys.executable, "-m", "server", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def png(color=(0, 90, 200), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def seed_content(app, api) -> dict:
    """Items (published with an image, withdrawn, a draft), feedback handled to the end with a
    photo and a rating, one still open, and a closed request; returns their ids and codes."""
    with app.app_context():
        s = db.session()
        s.scalar(select(User).where(User.username == "bob")).display_name = "王审议"
        s.commit()
    pub = api.create(title="CT 检查价格", body="# 价格\n\n<script>alert(1)</script> **CT** 300 元")
    resp = api.call("POST", f"/items/{pub['id']}/images", "alice",
                    data={"file": (io.BytesIO(png()), "ct.png")}, content_type="multipart/form-data")
    assert resp.status_code in (200, 201), resp.get_json()
    api.publish(pub["id"])
    gone = api.publish(api.create(title="旧公示")["id"])
    assert api.act(gone["id"], "withdraw", "erin", comment="公示有误").status_code == 200
    draft = api.create(title="草稿")
    with app.test_request_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "hank", "secret-pass-1", ["handler"], unit)
        s.commit()
        users = {u.username: u for u in s.scalars(select(User))}
        photo = store_image(png((200, 0, 0)), app.config["MEDIA_DIR"], app.config["MAX_IMAGE_PIXELS"])["sha256"]
        done, _ = fbs.create(s, unit, {"kind": "complaint", "text": "候诊时间太长", "name": "王五",
                                        "phone": "13800138000"}, photo_sha=photo)
        fbs.assign(s, users["bob"], done, "门诊部", users["hank"])
        fbs.answer(s, users["hank"], done, "已增加挂号窗口")
        fbs.publish(s, users["bob"], done)
        fbs.rate(s, done, "satisfied", rating_key(done.code))
        fbs.close(s, users["bob"], done)
        open_fb, _ = fbs.create(s, unit, {"kind": "question", "text": "几点开门？", "name": "李四",
                                           "phone": "13900139000"})
        req, _ = rqs.create(s, unit, {"name": "张三", "id_type": "id_card", "id_number": "110101199001011237",
                                      "contact": "13700137000", "description": "采购合同", "delivery": "email"})
        rqs.answer(s, users["bob"], req, "provided", "见附件")
        rqs.close(s, users["bob"], req)
        result = {"published": pub["id"], "withdrawn": gone["id"], "draft": draft["id"], "photo": photo,
                  "feedback": done.code, "open_feedback": open_fb.code, "request": req.code}
    app.extensions["gongkai.engine"].dispose()
    return result


@pytest.fixture(scope="module")
def archived(template_instance, tmp_path_factory):
    """One seeded instance (a copy of the test template) and its archive for this year, built once
    for the module through the real CLI; tests only read them (or copy them first)."""
    from conftest import Api
    from server import create_app
    base = tmp_path_factory.mktemp("archived")
    shutil.copytree(template_instance, base / "instance")
    app = create_app({"SECRET_KEY": "test", "TESTING": True}, instance_path=str(base / "instance"))
    seeded = seed_content(app, Api(app.test_client()))
    out = base / "archive.zip"
    result = cli("archive", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", out,
                 "--instance", app.instance_path)
    assert result.returncode == 0, result.stderr
    seeded["archive_stdout"] = result.stdout
    return app, seeded, out


def run(capsys, *args) -> tuple[int, str, str]:
    """The CLI's main() in this process (same parser and exit codes, without a new interpreter)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def rewrite(src, dst, change=None, drop=(), add=()):
    """Copy a zip entry by entry, changing, dropping or adding entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            if change and info.filename in change:
                data = change[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in add:
            zout.writestr(name, data)


def test_round_trip_is_intact_and_complete(archived, tmp_path):
    app, seeded, out = archived
    result = cli("verify-archive", out, "--extract", tmp_path / "x")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "archive intact" in result.stdout
    root = tmp_path / "x"
    manifest_sha = hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest SHA-256 {manifest_sha}" in result.stdout and manifest_sha in seeded["archive_stdout"]
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 1 and manifest["period"]["from"] == f"{YEAR}-01-01"
    assert {u["code"] for u in manifest["units"]} == {"H001", "H002"}
    listed = {f["path"] for f in manifest["files"]}
    for item in ("published", "withdrawn"):
        assert f"revisions/{seeded[item]}-1.json" in listed and f"revisions/{seeded[item]}-1.html" in listed
    assert not [p for p in listed if p.startswith(f"revisions/{seeded['draft']}-")]   # drafts only when asked
    assert manifest["drafts"] is False
    gone = json.loads((root / f"revisions/{seeded['withdrawn']}-1.json").read_text(encoding="utf-8"))
    assert gone["status"] == "withdrawn" and [d["action"] for d in gone["decisions"]][-1] == "withdraw"
    pub = json.loads((root / f"revisions/{seeded['published']}-1.json").read_text(encoding="utf-8"))
    sha = pub["attachments"][0]["sha256"]
    assert (root / "media" / sha).read_bytes() == open(os.path.join(app.config["MEDIA_DIR"], sha), "rb").read()
    assert (root / "media" / seeded["photo"]).exists()
    html = (root / f"revisions/{seeded['published']}-1.html").read_text(encoding="utf-8")
    assert "<strong>CT</strong>" in html and "<script>" not in html and "&lt;script&gt;" in html
    assert f'src="../media/{sha}"' in html
    decisions = [json.loads(line) for line in (root / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"submit", "review", "clear", "approve", "withdraw"} <= {d["action"] for d in decisions}
    # people as the admin UI shows them: display name and the role they acted in (login names kept)
    who = {(d["action"], d["actor"]): (d["actor_name"], d["actor_role"]) for d in decisions}
    assert who[("review", "bob")] == ("王审议", "公开办审议") and who[("submit", "alice")] == ("alice", "科室联络员")
    assert who[("approve", "dan")] == ("dan", "领导小组审定") and who[("withdraw", "erin")] == ("erin", "领导小组审定")
    assert pub["people"]["reviewed"] == {"username": "bob", "name": "王审议", "role": "公开办审议"}
    assert "王审议（公开办审议）" in html and "审议：王审议（公开办审议）" in html
    feedback = {f["code"]: f for f in map(json.loads, (root / "feedback.jsonl").read_text(encoding="utf-8").splitlines())}
    handled = feedback[seeded["feedback"]]
    assert [st["action"] for st in handled["handling"]] == ["received", "assigned", "answered", "published",
                                                          "rated", "closed"]
    assert handled["reply"] == "已增加挂号窗口" and seeded["open_feedback"] in feedback
    [req] = map(json.loads, (root / "requests.jsonl").read_text(encoding="utf-8").splitlines())
    assert req["code"] == seeded["request"] and req["answer_type"] == "provided"
    with sqlite3.connect(os.path.join(app.instance_path, "gongkai.db")) as conn:
        in_db = conn.execute("select count(*) from audit_entry").fetchone()[0]
    audit = (root / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(audit) == manifest["audit"]["count"] > 0
    assert len(audit) <= in_db


@pytest.mark.parametrize("damage, expected", [
    ("change", "decisions.jsonl: SHA-256 does not match"),
    ("delete", "feedback.jsonl: missing"),
    ("extra", "notes.txt: not listed in the manifest"),
])
def test_tampering_is_named(archived, tmp_path, capsys, damage, expected):
    _, _, out = archived
    bad = tmp_path / "bad.zip"
    if damage == "change":
        rewrite(out, bad, change={"decisions.jsonl": lambda d: d.replace("同意".encode(), "反对".encode())})
    elif damage == "delete":
        rewrite(out, bad, drop={"feedback.jsonl"})
    else:
        rewrite(out, bad, add=[("notes.txt", b"hello")])
    code, out, _ = run(capsys, "verify-archive", bad)
    assert code == 1 and expected in out, out
    assert "DAMAGED" in out


def test_an_edited_audit_chain_is_caught_even_with_a_matching_manifest(archived, tmp_path, capsys):
    """Someone edits an audit entry and updates the manifest's hash too: the chain still breaks."""
    _, _, out = archived
    with zipfile.ZipFile(out) as zf:
        lines = zf.read("audit.jsonl").decode("utf-8").splitlines()
        manifest = json.loads(zf.read("manifest.json"))
    entry = json.loads(lines[1])
    entry["actor"] = "mallory"
    lines[1] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    for f in manifest["files"]:
        if f["path"] == "audit.jsonl":
            f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    bad = tmp_path / "chain.zip"
    rewrite(out, bad, change={"audit.jsonl": lambda _: data,
                              "manifest.json": lambda _: json.dumps(manifest).encode()})
    code, out, _ = run(capsys, "verify-archive", bad)
    assert code == 1
    assert f"audit entry {entry['id']}: content does not match its hash" in out
    assert "SHA-256" not in out        # the file matches the manifest; only the chain fails


def test_removing_an_audit_entry_breaks_the_link(archived, tmp_path, capsys):
    _, _, out = archived
    with zipfile.ZipFile(out) as zf:
        lines = zf.read("audit.jsonl").decode("utf-8").splitlines()
    removed = json.loads(lines[2])["id"]
    bad = tmp_path / "gap.zip"
    rewrite(out, bad, change={"audit.jsonl": lambda _: ("\n".join(lines[:2] + lines[3:]) + "\n").encode()})
    code, out, _ = run(capsys, "verify-archive", bad)
    assert code == 1
    assert f"audit entry {removed + 1}: previous hash does not match" in out
    assert "entries, the manifest says" in out


def test_not_a_zip_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.zip"
    bogus.write_text("not a zip", encoding="utf-8")
    result = cli("verify-archive", bogus)
    assert result.returncode == 2 and "is not a zip file" in result.stderr and "Traceback" not in result.stderr
    missing = cli("verify-archive", tmp_path / "nope.zip")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def _zip_with(path, name, data=b"x", symlink=False):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", b"{}")
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (0o120777 << 16)
        zf.writestr(info, data)


@pytest.mark.parametrize("name, symlink, reason", [
    ("../evil.txt", False, "'..' in the path"),
    ("media/../../evil.txt", False, "'..' in the path"),
    ("/tmp/evil.txt", False, "absolute path"),
    ("C:/evil.txt", False, "absolute path"),
    ("..\\evil.txt", False, "backslash"),
    ("media/link", True, "symbolic link"),
])
def test_zip_slip_entries_are_refused(tmp_path, capsys, name, symlink, reason):
    bad = tmp_path / "slip.zip"
    _zip_with(bad, name, b"/etc/passwd" if symlink else b"pwned", symlink)
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchive) as err:
        extract_archive(str(bad), str(target))
    assert reason in str(err.value)
    assert not (tmp_path / "evil.txt").exists() and os.listdir(target) == []   # nothing written at all
    code, out, _ = run(capsys, "verify-archive", bad)
    assert code == 1 and "unsafe entry refused" in out and reason in out


def test_an_entry_through_a_symlinked_folder_is_refused(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", target / "media")
    bad = tmp_path / "via-link.zip"
    _zip_with(bad, "media/file")
    with pytest.raises(UnsafeArchive, match="escapes the target folder"):
        extract_archive(str(bad), str(target))
    assert os.listdir(tmp_path / "elsewhere") == []


def test_a_zip_bomb_is_refused(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros", b"\0" * (20 << 20))      # 20 MiB of zeros deflate to ~20 KB
    assert os.path.getsize(bomb) < 100_000
    with pytest.raises(UnsafeArchive, match="zip bomb"):
        extract_archive(str(bomb), str(tmp_path / "out"), max_total=10 << 20)
    assert not (tmp_path / "out" / "zeros").exists()


def test_date_filter_and_unit_filter(archived, tmp_path, capsys):
    app, seeded, _ = archived
    instance = tmp_path / "instance"
    shutil.copytree(app.instance_path, instance)
    with sqlite3.connect(instance / "gongkai.db") as conn:   # one item and its steps a year back
        rev_ids = [r for (r,) in conn.execute("select id from revision where item_id = ?", (seeded["draft"],))]
        conn.execute(f"update revision set created_at = datetime(created_at, '-1 year') "
                     f"where id in ({','.join('?' * len(rev_ids))})", rev_ids)
    this_year, last_year = tmp_path / "this.zip", tmp_path / "last.zip"
    assert run(capsys, "archive", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", this_year,
               "--include-drafts", "--instance", instance)[0] == 0
    assert run(capsys, "archive", "--from", f"{YEAR - 1}-01-01", "--to", f"{YEAR - 1}-12-31",
               "--out", last_year, "--include-drafts", "--instance", instance)[0] == 0
    with zipfile.ZipFile(this_year) as a, zipfile.ZipFile(last_year) as b:
        now_names, old_names = set(a.namelist()), set(b.namelist())
        assert f"revisions/{seeded['published']}-1.json" in now_names
        assert f"revisions/{seeded['draft']}-1.json" not in now_names
        assert f"revisions/{seeded['draft']}-1.json" in old_names
        assert f"revisions/{seeded['published']}-1.json" not in old_names
        assert b.read("feedback.jsonl") == b"" and b.read("decisions.jsonl") == b""
    assert run(capsys, "verify-archive", last_year)[0] == 0
    other = tmp_path / "h002.zip"
    assert run(capsys, "archive", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", other,
               "--unit", "H002", "--instance", instance)[0] == 0
    with zipfile.ZipFile(other) as zf:
        assert not [n for n in zf.namelist() if n.startswith("revisions/")]
        assert zf.read("feedback.jsonl") == b""


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-13-01", "--to", "2026-12-31"], "is not a date"),
    (["--from", "2026-12-31", "--to", "2026-01-01"], "before --from"),
    (["--from", "2026-01-01", "--to", "2026-12-31", "--unit", "NOPE"], "no unit with code NOPE"),
])
def test_archive_bad_input(archived, tmp_path, capsys, args, message):
    out = tmp_path / "a.zip"
    code, _, err = run(capsys, "archive", *args, "--out", out, "--instance", archived[0].instance_path)
    assert code == 2 and message in err
    assert not out.exists() and not (tmp_path / "a.zip.partial").exists()


def test_long_tables_are_paged_and_drafts_come_only_when_asked(template_instance, tmp_path, capsys):
    """A 2 500-row table makes three HTML pages of at most PAGE_ROWS rows that link to each other
    (a 50 000-row price list was one 7.8 MB page); the JSON keeps the whole table."""
    from conftest import Api
    from server import create_app
    from server.records.archive import PAGE_ROWS
    shutil.copytree(template_instance, tmp_path / "instance")
    app = create_app({"SECRET_KEY": "test", "TESTING": True}, instance_path=str(tmp_path / "instance"))
    api = Api(app.test_client())
    rows = 2 * PAGE_ROWS + 500
    csv_data = ("项目编码,项目名称,价格\n" + "".join(f"A{n:05d},项目{n},{n}.00\n" for n in range(rows))).encode()
    item = api.create(title="医疗服务价格")
    assert api.call("PUT", f"/items/{item['id']}/table?version={item['version']}", "alice", data=csv_data,
                    headers={"Content-Type": "text/csv"}).status_code == 200
    api.publish(item["id"])
    draft = api.create(title="草稿")
    app.extensions["gongkai.engine"].dispose()
    out, with_drafts = tmp_path / "a.zip", tmp_path / "b.zip"
    assert run(capsys, "archive", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", out,
               "--instance", app.instance_path)[0] == 0
    assert run(capsys, "archive", "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", with_drafts,
               "--include-drafts", "--instance", app.instance_path)[0] == 0
    base = f"revisions/{item['id']}-1"
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {base + ".html", base + ".p2.html", base + ".p3.html"} <= names and base + ".p4.html" not in names
        first, last = zf.read(base + ".html").decode(), zf.read(base + ".p3.html").decode()
        assert first.count("<tr>") == PAGE_ROWS + 1 + len(json.loads(zf.read(base + ".json"))["decisions"]) + 1
        assert f"表格共 {rows} 行，本页第 1–{PAGE_ROWS} 行" in first and f'href="{item["id"]}-1.p2.html"' in first
        assert f"本页第 {2 * PAGE_ROWS + 1}–{rows} 行" in last and f"项目{rows - 1}" in last and "项目0<" not in last
        assert "审批记录" in first and "审批记录" not in last
        assert len(json.loads(zf.read(base + ".json"))["table"]["rows"]) == rows
        assert not [n for n in names if n.startswith(f"revisions/{draft['id']}-")]
    with zipfile.ZipFile(with_drafts) as zf:
        assert f"revisions/{draft['id']}-1.json" in zf.namelist()
        assert json.loads(zf.read("manifest.json"))["drafts"] is True
    assert run(capsys, "verify-archive", out)[0] == 0
