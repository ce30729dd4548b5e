"""Feed protocol version 2 on the server (docs/architecture.md, device protocol): pages shared by
screens of a kind, one notice changes one page, tables, long bodies and the catalog as blobs, who
may fetch them, gzip, one signature per (device, mark), Server-Time, the event that carries the
manifest, and the feed folder's sweep and self-repair."""
import gzip
import hashlib
import json
import os
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from content.feedpages import LONG_BODY, PAGE_SIZE, page_items
from content.manifest import verify_manifest
from server import db
from server.instance import find_unit
from server.models import Category, Item, Revision, utcnow
from server.screens import feed_blobs
from test_devices import Screen
from test_push import Stream, served  # noqa: F401  (fixture)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed_items(app, n: int, category: str = "notices") -> None:
    """n published items straight into the database (the API's five calls per item are slow)."""
    with app.app_context():
        s = db.session()
        unit = find_unit(s, "H001")
        cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == category))
        now = utcnow()
        for i in range(n):
            item = Item(unit=unit, category=cat)
            item.revisions.append(Revision(number=1, title=f"公示 {i}", body="正文", status="published",
                                           audiences=[{"audiences": ["public"], "at": None}],
                                           published_at=now, window_start=now))
            s.add(item)
        s.commit()


def fetch(screen, sha_, gz=False):
    return screen.get(f"/media/{sha_}", headers={"Accept-Encoding": "gzip"} if gz else {})


def test_screens_of_a_kind_share_pages_and_one_notice_changes_one_page(app, api):
    seed_items(app, PAGE_SIZE + 10)
    first, second = Screen(api, audiences=("public",)), Screen(api, audiences=("public",))
    other = Screen(api, audiences=("staff",))
    a, b = first.signed(), second.signed()
    assert len(a["item_pages"]) == 2 and a["item_pages"] == b["item_pages"]
    assert a["catalog_blob"] == b["catalog_blob"] and a["device"] != b["device"]
    assert a["device"]["feedback_base"].endswith(f"/f/{first.info['screen_code']}")
    assert other.signed()["catalog_blob"] != a["catalog_blob"]           # staff see other categories
    for page in a["item_pages"]:                                        # nothing per screen in a page
        data = fetch(first, page["sha256"]).data
        assert sha(data) == page["sha256"] and len(data) == page["bytes"]
        assert len(page_items(data)) == page["items"] and b"/f/" not in data
    api.publish(api.create(category="notices", title="新公告", body="电梯检修")["id"])
    after = first.signed()
    assert after["item_pages"][:-1] == a["item_pages"][:-1]                # the older page unchanged
    assert after["item_pages"][-1] != a["item_pages"][-1]
    assert after["catalog_blob"] == a["catalog_blob"]
    [notice] = [i for i in first.manifest()["items"] if i["title"] == "新公告"]
    assert notice["feedback_url"] == f"{a['device']['feedback_base']}?item={notice['id']}"


def test_tables_and_long_bodies_travel_as_blobs(api):
    screen = Screen(api)
    table = {"columns": ["编码", "项目", "价格"], "rows": [[f"{n:04d}", f"项目{n}", f"{n}.00"] for n in range(300)]}
    body = "长正文。" * (LONG_BODY // 2)
    item = api.create(title="价格表", body=body)
    assert api.call("PATCH", f"/items/{item['id']}", "alice",
                    json={"table": table, "version": item["version"]}).status_code == 200
    short = api.create(title="短公告", body="短正文")
    api.publish(item["id"])
    api.publish(short["id"])
    signed = screen.signed()
    items = [i for p in signed["item_pages"] for i in page_items(fetch(screen, p["sha256"]).data)]
    big = next(i for i in items if i["title"] == "价格表")
    small = next(i for i in items if i["title"] == "短公告")
    assert "table" not in big and "body" not in big and small["body"] == "短正文" and "body_blob" not in small
    assert big["table_blob"]["rows"] == 300 and big["table_blob"]["columns"] == table["columns"]
    got = fetch(screen, big["table_blob"]["sha256"])
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert json.loads(got.data) == table and len(got.data) == big["table_blob"]["bytes"]
    text = fetch(screen, big["body_blob"]["sha256"])
    assert text.data.decode("utf-8") == body and text.mimetype == "text/markdown"
    hydrated = next(i for i in screen.manifest()["items"] if i["title"] == "价格表")
    assert hydrated["table"] == table and hydrated["body"] == body


def test_only_a_screen_whose_feed_references_a_file_may_fetch_it(api, client):
    public, staff = Screen(api, audiences=("public",)), Screen(api, audiences=("staff",))
    api.publish(api.create(category="finance", title="财务收支（内部）")["id"])
    staff_pages = [p["sha256"] for p in staff.signed()["item_pages"]]
    assert staff_pages and all(fetch(staff, p).status_code == 200 for p in staff_pages)
    public_files = {p["sha256"] for p in public.signed()["item_pages"]}
    for page in staff_pages:
        assert page not in public_files
        assert fetch(public, page).status_code == 404                       # another audience's page
        assert client.get(f"/media/{page}").status_code == 401              # no token
        assert client.get(f"/media/{page}", headers={"Authorization": "Bearer nope"}).status_code == 404
        staff_user = api.call("GET", "/items", "root")                      # a staff token is no device's
        assert staff_user.status_code == 200
        assert client.get(f"/media/{page}", headers={"Authorization": f"Bearer {api.token('root')}"}).status_code == 404
    old = staff_pages[0]
    item = api.create(category="finance", title="第二份")
    api.publish(item["id"])
    assert old not in {p["sha256"] for p in staff.signed()["item_pages"]}  # its page changed
    assert fetch(staff, old).status_code == 404                             # no longer referenced
    api.call("POST", f"/devices/{staff.id}/revoke", "root")
    assert fetch(staff, staff_pages[-1]).status_code == 404
    assert client.get("/media/" + "A" * 64, headers={"Authorization": f"Bearer {public.token}"}).status_code == 404


def test_gzip_for_feed_and_files_when_asked(api):
    screen = Screen(api)
    api.publish(api.create(title="压缩", body="正文" * 500)["id"])
    plain = screen.get("/api/v1/feed")
    packed = screen.get("/api/v1/feed", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data                     # same signed bytes
    assert packed.headers["Vary"] == "Accept-Encoding" and packed.headers["ETag"] == plain.headers["ETag"]
    page = json.loads(plain.data)["item_pages"][0]["sha256"]
    raw, gz = fetch(screen, page), fetch(screen, page, gz=True)
    assert "Content-Encoding" not in raw.headers and gz.headers["Content-Encoding"] == "gzip"
    assert sha(raw.data) == page and gzip.decompress(gz.data) == raw.data and len(gz.data) < len(raw.data)
    assert "immutable" in gz.headers["Cache-Control"] and gz.headers["Vary"] == "Accept-Encoding"


def test_signed_once_per_mark_and_server_time_in_a_header(api):
    screen = Screen(api)
    one, two = screen.get("/api/v1/feed"), screen.get("/api/v1/feed")
    assert one.data == two.data                                           # no fresh signature per GET
    for resp in (one, screen.get("/api/v1/feed", headers={"If-None-Match": one.headers["ETag"]}),
                 api.client.post("/api/v1/devices/report", json={"heartbeat": {}},
                                 headers={"Authorization": f"Bearer {screen.token}"})):
        stamp = resp.headers["Server-Time"]
        assert len(stamp.split("T")[1].split("+")[0]) == len("09:00:00.123")  # milliseconds
        assert abs(datetime.fromisoformat(stamp).timestamp() - time.time()) < 60
    api.publish(api.create(title="新内容")["id"])
    three = screen.get("/api/v1/feed")
    assert three.data != one.data and verify_manifest(json.loads(three.data), screen.public_key)
    assert json.loads(three.data)["server_time"] >= json.loads(one.data)["server_time"]


def test_event_carries_the_signed_manifest_and_the_new_page(api, served):  # noqa: F811
    screen = Screen(api)
    api.publish(api.create(title="已有")["id"])
    stream = Stream(served, screen.token)
    name, data = stream.next()
    assert name == "feed" and set(data) == {"version"}                    # on connect: the version only
    held = screen.signed()
    api.publish(api.create(title="推送的公告")["id"])
    name, data = stream.next()
    manifest, blobs = data["manifest"], data["blobs"]
    assert verify_manifest(manifest, screen.public_key) and manifest["version"] == data["version"]
    new_pages = {p["sha256"] for p in manifest["item_pages"]} - {p["sha256"] for p in held["item_pages"]}
    assert new_pages and set(blobs) == new_pages                          # not the unchanged catalog
    for name_, text in blobs.items():
        assert sha(text.encode("utf-8")) == name_
    assert any(i["title"] == "推送的公告" for p in blobs.values() for i in json.loads(p))
    assert manifest == json.loads(screen.get("/api/v1/feed").data)       # the same signed bytes
    stream.close()


def test_a_large_manifest_goes_as_the_version_only(api, served, monkeypatch):  # noqa: F811
    from server.screens import feed_signing
    monkeypatch.setattr(feed_signing, "EVENT_BYTES", 300)
    screen = Screen(api)
    stream = Stream(served, screen.token)
    stream.next()
    api.publish(api.create(title="大清单")["id"])
    name, data = stream.next()
    assert name == "feed" and set(data) == {"version"}
    stream.close()


def test_sweep_keeps_what_feeds_reference_and_a_lost_file_is_written_again(app, api):
    screen = Screen(api)
    api.publish(api.create(title="会被撤下")["id"])
    old_page = screen.signed()["item_pages"][0]["sha256"]
    api.publish(api.create(title="留下的")["id"])
    signed = screen.signed()
    current = {p["sha256"] for p in signed["item_pages"]} | {signed["catalog_blob"]["sha256"]}
    media_dir = app.config["MEDIA_DIR"]
    with app.app_context():
        from server.screens.device_feed import referenced_files
        from server.screens.push import current_mark
        referenced = referenced_files(db.session(), current_mark(db.session()).version)
    assert current <= referenced and old_page not in referenced
    folder = feed_blobs.folder(media_dir)
    open(os.path.join(folder, ".tmp-dead"), "wb").close()
    later = time.time() + feed_blobs.KEEP_SECONDS + 10
    removed = feed_blobs.sweep(media_dir, referenced, now=later)
    assert {old_page, old_page + ".gz", ".tmp-dead"} <= set(removed)
    assert all(name.split(".")[0] in referenced for name in os.listdir(folder))
    assert feed_blobs.sweep(media_dir, set(), now=time.time()) == []      # nothing is old yet
    page = sorted(current)[0]
    os.unlink(feed_blobs.path(page, media_dir))                           # lost (a disk, a careless sweep)
    got = fetch(screen, page)
    assert got.status_code == 200 and sha(got.data) == page               # written again on demand
    assert os.path.exists(feed_blobs.path(page, media_dir) + ".gz")


@pytest.mark.parametrize("field", ["table", "body"])
def test_blob_store_leaves_no_partial_file(app, monkeypatch, field):
    """A failed write (disk full) leaves neither the blob nor a temp file under its name."""
    import errno
    with app.app_context():
        monkeypatch.setattr(feed_blobs.os, "fsync", lambda fd: (_ for _ in ()).throw(
            OSError(errno.ENOSPC, "No space left on device")))
        data = field.encode() * 100
        with pytest.raises(OSError):
            feed_blobs.store(sha(data), data)
        monkeypatch.undo()
        assert not os.path.exists(feed_blobs.path(sha(data)))
        assert [n for n in os.listdir(feed_blobs.folder()) if n.startswith(".tmp-")] == []
        feed_blobs.store(sha(data), data)
        assert open(feed_blobs.path(sha(data)), "rb").read() == data
        assert gzip.decompress(open(feed_blobs.path(sha(data)) + ".gz", "rb").read()) == data
