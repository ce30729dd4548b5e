"""Web basics of every page (server/web/): gzip for text when asked and never for the device protocol
or media, static files named by their content hash and cached for a year, the favicon, robots.txt,
and a description and icon link in the head of every page."""
import gzip
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from test_devices import Screen

GZ = {"Accept-Encoding": "gzip, deflate, br"}
TEMPLATES = Path(__file__).resolve().parent.parent / "server" / "templates"


def unzip(resp) -> bytes:
    assert resp.headers.get("Content-Encoding") == "gzip", (resp.request.path, resp.headers)
    return gzip.decompress(resp.data)


@pytest.mark.parametrize("path", ["/admin/login", "/f/BOX1", "/r", "/t", "/t/FK-2026-999999",
                                  "/api/v1/openapi.json", "/robots.txt?x=" + "y" * 600])
def test_text_is_gzipped_when_the_client_accepts_it(client, point, path):
    resp = client.get(path, headers=GZ)
    if path.startswith("/robots"):   # small answers are not worth it
        assert "Content-Encoding" not in resp.headers
        return
    body = unzip(resp)
    assert len(resp.data) < len(body) and "Accept-Encoding" in resp.headers["Vary"]
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers and plain.status_code == resp.status_code
    if path != "/r" and not path.startswith("/f"):   # forms carry a fresh key on every rendering
        assert plain.data == body


def test_images_and_the_event_stream_are_never_compressed_the_feed_once(api, client):
    screen = Screen(api)
    png = io.BytesIO()
    Image.new("RGB", (600, 400), (0, 90, 200)).save(png, "PNG")
    item = api.create(title="压缩测试", body="价格" * 2000)
    api.call("POST", f"/items/{item['id']}/images", "alice",
             data={"file": (io.BytesIO(png.getvalue()), "a.png")}, content_type="multipart/form-data")
    api.publish(item["id"])
    auth = {"Authorization": f"Bearer {screen.token}", **GZ}
    feed = client.get("/api/v1/feed", headers=auth)      # protocol 2 gzips manifests and pages itself
    assert feed.status_code == 200 and feed.headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(feed.data))["protocol"] == 2        # compressed once, not twice
    sha = [i for i in screen.manifest()["items"] if i["title"] == "压缩测试"][0]["media"][0]["sha256"]
    media = client.get(f"/media/{sha}", headers=auth)
    assert media.status_code == 200 and "Content-Encoding" not in media.headers
    events = client.get("/api/v1/events", headers=auth, buffered=False)
    try:
        assert events.mimetype == "text/event-stream" and "Content-Encoding" not in events.headers
        assert next(iter(events.response))   # the first event arrives at once, unbuffered
    finally:
        events.close()
    report = client.post("/api/v1/devices/report", json={"heartbeat": {}, "batches": []}, headers=auth)
    assert report.status_code == 200 and "Content-Encoding" not in report.headers
    staff = api.call("GET", "/items", "alice", headers=dict(GZ))
    assert staff.headers.get("Content-Encoding") == "gzip"   # the staff JSON API is compressed


def test_static_files_carry_their_hash_and_are_cached_for_a_year(client):
    page = client.get("/admin/login").text
    css = re.search(r'href="/static/admin\.([0-9a-f]{10})\.css"', page)
    icon = re.search(r'<link rel="icon" href="(/static/favicon\.[0-9a-f]{10}\.svg)" type="image/svg\+xml">', page)
    assert css and icon
    real = (TEMPLATES.parent / "static" / "admin.css").read_bytes()
    import hashlib
    assert hashlib.sha256(real).hexdigest()[:10] == css.group(1)
    hashed = client.get(f"/static/admin.{css.group(1)}.css", headers=GZ)
    assert unzip(hashed) == real and hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = hashed.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(f"/static/admin.{css.group(1)}.css", headers={**GZ, "If-None-Match": etag})
    assert again.status_code == 304
    for stale in ("/static/admin.css", "/static/admin.0123456789.css"):   # a page from before a deploy
        resp = client.get(stale)
        assert resp.status_code == 200 and resp.data == real and "max-age=300" in resp.headers["Cache-Control"]
    for missing in ("/static/nope.css", "/static/nope.0123456789.css", "/static/../config.py"):
        assert client.get(missing).status_code == 404
    svg = client.get(icon.group(1))
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_favicon_ico_and_robots(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/x-icon"
    icon = Image.open(io.BytesIO(resp.data))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain" and "Disallow: /api/" in robots.text
    assert "Disallow: /admin" not in robots.text and "Disallow: /f" not in robots.text


def test_every_page_template_has_one_of_the_two_heads():
    """Only layout.html and public/base.html write <head>; every other page extends one of them."""
    heads = sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
                   if "<head>" in p.read_text(encoding="utf-8"))
    assert heads == ["layout.html", "public/base.html"]
    for name in heads:
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        assert '<meta name="description"' in text and '<link rel="icon"' in text


@pytest.mark.parametrize("path, words", [
    ("/admin/login", "院务公开管理"), ("/f/BOX1", "扫码向第一人民医院留言"), ("/r", "依申请公开"),
    ("/t", "凭查询码"), ("/f/NOPE", "凭查询码"),
])
def test_pages_describe_themselves(client, point, path, words):
    page = client.get(path).text
    description = re.search(r'<meta name="description" content="([^"]+)">', page).group(1)
    assert words in description and len(description) >= 20
    english = client.get(path + "?lang=en").text
    assert re.search(r'<meta name="description" content="[A-Z][^"]{20,}">', english)
