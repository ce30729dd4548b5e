"""deploy/ checked as far as this machine allows: systemd units verified by systemd, the nginx site
tested by nginx and then run for real in front of the app (TLS, SSE unbuffered, X-Accel media),
and the install scripts run into a DESTDIR."""
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import http.client

import pytest
from PIL import Image
from werkzeug.serving import make_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
UNITS = sorted(os.listdir(os.path.join(DEPLOY, "systemd")))


def need(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None)
    assert path, f"{tool} is not installed: ./gongkai installs it (see APT_PACKAGES)"
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def localised_units(tmp_path) -> list[str]:
    """The units with paths that exist on this machine, so systemd checks everything else."""
    out = []
    for name in UNITS:
        text = open(os.path.join(DEPLOY, "systemd", name), encoding="utf-8").read()
        text = text.replace("/opt/gongkai/.venv/bin/python", os.path.join(ROOT, ".venv/bin/python"))
        text = text.replace("/usr/bin/cage", "/bin/true")
        (tmp_path / name).write_text(text, encoding="utf-8")
        out.append(str(tmp_path / name))
    return out


def systemd_verify(paths) -> str:
    result = subprocess.run([need("systemd-analyze"), "verify", *paths], capture_output=True, text=True)
    return (result.stdout + result.stderr).strip() + ("" if result.returncode == 0 else f"\nexit {result.returncode}")


def test_units_pass_systemd_verify(tmp_path):
    assert {"gongkai-server.service", "gongkai-kiosk.service", "gongkai-signage.service",
            "gongkai-backup.service", "gongkai-backup.timer"} <= set(UNITS)
    assert systemd_verify(localised_units(tmp_path)) == ""


def test_verify_would_catch_a_broken_unit(tmp_path):
    bad = tmp_path / "broken.service"
    bad.write_text("[Service]\nExecStrat=/bin/true\n", encoding="utf-8")
    assert "Unknown key" in systemd_verify([str(bad)])


def test_units_say_what_the_issue_asks():
    server = open(os.path.join(DEPLOY, "systemd", "gongkai-server.service"), encoding="utf-8").read()
    assert "Restart=on-failure" in server and "python -m server run" in server
    for kind in ("kiosk", "signage"):
        unit = open(os.path.join(DEPLOY, "systemd", f"gongkai-{kind}.service"), encoding="utf-8").read()
        assert f"-m {kind}" in unit and "--fullscreen" in unit and "cage" in unit
        assert int(re.search(r"RestartSec=(\d+)", unit).group(1)) < 5 and "Restart=always" in unit


def nginx_config(tmp_path, app_port: int, http_port: int, https_port: int, media_dir: str) -> str:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    site = open(os.path.join(DEPLOY, "nginx", "gongkai.conf"), encoding="utf-8").read()
    site = (site.replace("/etc/gongkai/tls/fullchain.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/gongkai/tls/privkey.pem", str(tmp_path / "key.pem"))
            .replace("/var/lib/gongkai/media/", media_dir.rstrip("/") + "/")
            .replace("127.0.0.1:8080", f"127.0.0.1:{app_port}")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace("listen [::]:80;", "")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
            .replace("listen [::]:443 ssl http2;", ""))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{k}_temp_path {tmp_path}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = (f"user root;\nerror_log {tmp_path}/error.log;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
            f"http {{\n access_log off;\n {temp}\n include {tmp_path}/site.conf;\n}}\n")
    (tmp_path / "nginx.conf").write_text(main, encoding="utf-8")
    return str(tmp_path / "nginx.conf")


def test_nginx_accepts_the_site(tmp_path):
    conf = nginx_config(tmp_path, 8080, free_port(), free_port(), str(tmp_path / "media"))
    result = subprocess.run([need("nginx"), "-t", "-p", str(tmp_path), "-c", conf], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def behind_nginx(app, tmp_path):
    """The app on a free port with MEDIA_X_ACCEL, and nginx with the real site in front of it."""
    yield from _nginx_in_front(app, tmp_path)


def _nginx_in_front(app, tmp_path):
    app.config["MEDIA_X_ACCEL"] = "/_media/"
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    https_port = free_port()
    conf = nginx_config(tmp_path, server.server_port, free_port(), https_port, app.config["MEDIA_DIR"])
    nginx = subprocess.Popen([need("nginx"), "-p", str(tmp_path), "-c", conf, "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield https_port
    nginx.terminate()
    nginx.wait(timeout=10)
    server.shutdown()


def https(port: int) -> http.client.HTTPSConnection:
    return http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                       context=ssl._create_unverified_context())


def test_through_nginx_tls_headers_media_and_events(api, behind_nginx):
    from test_devices import Screen
    screen = Screen(api)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 90, 200)).save(out, "PNG")
    item = api.create(title="经 nginx")
    api.call("POST", f"/items/{item['id']}/images", "alice",
             data={"file": (io.BytesIO(out.getvalue()), "a.png")}, content_type="multipart/form-data")
    api.publish(item["id"])
    auth = {"Authorization": f"Bearer {screen.token}"}
    conn = https(behind_nginx)
    signed = screen.signed()                                   # protocol 2: a page through nginx, gzip
    page = signed["item_pages"][0]["sha256"]
    conn.request("GET", f"/media/{page}", headers={**auth, "Accept-Encoding": "gzip"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200 and resp.getheader("Content-Encoding") == "gzip"
    assert hashlib.sha256(gzip.decompress(body)).hexdigest() == page
    assert resp.getheader("Content-Type") == "application/json" and "immutable" in resp.getheader("Cache-Control")
    sha = [i for i in json.loads(gzip.decompress(body)) if i["title"] == "经 nginx"][0]["media"][0]["sha256"]
    conn.request("GET", f"/media/{page}", headers=auth)
    plain = conn.getresponse()
    assert hashlib.sha256(plain.read()).hexdigest() == page and plain.getheader("Content-Encoding") is None
    conn.request("GET", "/api/v1/feed", headers={**auth, "Accept-Encoding": "gzip"})
    feed = conn.getresponse()
    assert feed.status == 200 and feed.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(feed.read()))["item_pages"] == signed["item_pages"]
    assert feed.getheader("Server-Time")

    conn.request("GET", f"/media/{sha}", headers=auth)
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200 and body == open(os.path.join(api.client.application.config["MEDIA_DIR"], sha), "rb").read()
    assert "immutable" in resp.getheader("Cache-Control") and resp.getheader("Strict-Transport-Security")
    conn.request("GET", f"/_media/{sha}")                      # internal: not reachable directly
    direct = conn.getresponse()
    direct.read()
    assert direct.status == 404
    conn.request("GET", f"/media/{sha}")                       # no token: the app refuses
    assert conn.getresponse().status == 401

    events = https(behind_nginx)
    events.request("GET", "/api/v1/events", headers=auth)
    stream = events.getresponse()
    assert stream.status == 200
    started = time.monotonic()
    lines = []
    while not any(l.startswith(b"event: feed") for l in lines) and time.monotonic() - started < 10:
        lines.append(stream.fp.readline())
    assert any(l.startswith(b"event: feed") for l in lines)   # arrives unbuffered through nginx
    events.close()


def test_install_scripts_into_a_destdir(tmp_path):
    dest = tmp_path / "root"
    for _ in range(2):   # idempotent
        result = subprocess.run(["bash", os.path.join(DEPLOY, "install-server.sh"), "--destdir", str(dest)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    assert (dest / "etc/systemd/system/gongkai-server.service").exists()
    assert os.readlink(dest / "etc/nginx/sites-enabled/gongkai") == "../sites-available/gongkai"
    assert (dest / "opt/gongkai/server/__init__.py").exists() and not (dest / "opt/gongkai/.venv").exists()
    assert oct((dest / "var/lib/gongkai").stat().st_mode)[-3:] == "750"
    env = (dest / "etc/gongkai/server.env").read_text()
    assert "GONGKAI_MEDIA_X_ACCEL=/_media/" in env
    screen = subprocess.run(["bash", os.path.join(DEPLOY, "install-screen.sh"), "--kind", "signage",
                             "--server", "https://gk.example", "--destdir", str(dest)], capture_output=True, text=True)
    assert screen.returncode == 0, screen.stderr
    assert (dest / "etc/gongkai/screen.env").read_text() == "GONGKAI_SERVER=https://gk.example\n"
    bad = subprocess.run(["bash", os.path.join(DEPLOY, "install-screen.sh"), "--kind", "toaster",
                          "--server", "x", "--destdir", str(dest)], capture_output=True, text=True)
    assert bad.returncode == 2 and "kind" in bad.stderr


@pytest.fixture
def proxied_nginx(app, tmp_path):
    """The app as install-server.sh configures it (TRUSTED_PROXIES=1), behind the real nginx site."""
    from server import create_app
    app.config["PUBLIC_RATE_LIMIT"] = 2
    proxied = create_app({"SECRET_KEY": "test", "TESTING": True, "TRUSTED_PROXIES": 1, "PUBLIC_RATE_LIMIT": 2,
                          "DATABASE_URL": app.config["DATABASE_URL"]}, instance_path=app.instance_path)
    yield from _nginx_in_front(proxied, tmp_path)
    proxied.extensions["gongkai.engine"].dispose()


def test_behind_nginx_each_client_keeps_its_own_limit_and_cookies_are_secure(app, proxied_nginx):
    """Two clients on different loopback addresses through nginx: one using up the public form's
    limit (and forging X-Forwarded-For) does not block the other; the session cookie is Secure."""
    from server import db
    from server.hearing.models import FeedbackPoint
    from server.instance import find_unit
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="门诊大厅"))
        s.commit()

    def post(source: str, forged: str | None = None) -> int:
        conn = http.client.HTTPSConnection("127.0.0.1", proxied_nginx, timeout=10, source_address=(source, 0),
                                           context=ssl._create_unverified_context())
        conn.request("GET", "/f/BOX1")
        page = conn.getresponse()
        key = re.search(r'name="k" value="([^"]+)"', page.read().decode()).group(1)
        cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        if forged:
            headers["X-Forwarded-For"] = forged
        conn.request("POST", "/f/BOX1", body=f"k={key}&kind=suggestion&text=%E5%BA%A7%E6%A4%85", headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status

    assert [post("127.0.0.2") for _ in range(2)] == [200, 200]
    assert post("127.0.0.2") == 429
    assert post("127.0.0.2", forged="203.0.113.9") == 429          # a forged address changes nothing
    assert post("127.0.0.3") == 200                                  # another person is not blocked
    conn = https(proxied_nginx)
    conn.request("GET", "/admin/login")
    resp = conn.getresponse()
    resp.read()
    assert "Secure" in resp.getheader("Set-Cookie") and "SameSite=Lax" in resp.getheader("Set-Cookie")
    assert resp.getheader("Content-Security-Policy").count("frame-ancestors") == 1
    assert resp.getheader("Strict-Transport-Security")


@pytest.fixture
def nginx_alone(app, tmp_path):
    """Like behind_nginx, but the app's own gzip is switched off, so only nginx's config is tested."""
    from server.web.compress import compress
    app.after_request_funcs[None].remove(compress)
    yield from _nginx_in_front(app, tmp_path)


def _get(port: int, path: str, headers: dict | None = None):
    conn = https(port)
    conn.request("GET", path, headers={"Accept-Encoding": "gzip", **(headers or {})})
    resp = conn.getresponse()
    return resp, resp.read()


def test_nginx_gzips_pages_styles_and_json_and_leaves_the_device_protocol_to_the_app(api, nginx_alone):
    import gzip
    import json
    from test_devices import Screen
    screen = Screen(api)
    api.publish(api.create(title="压缩", body="价格" * 400)["id"])
    page, body = _get(nginx_alone, "/admin/login")
    assert page.getheader("Content-Encoding") == "gzip" and b"<!doctype html>" in gzip.decompress(body)
    assert "Accept-Encoding" in page.getheader("Vary")
    css = re.search(r'href="(/static/admin\.[0-9a-f]{10}\.css)"', gzip.decompress(body).decode()).group(1)
    style, _ = _get(nginx_alone, css)
    assert style.getheader("Content-Encoding") == "gzip" and "immutable" in style.getheader("Cache-Control")
    token = api.token("alice")
    items, body = _get(nginx_alone, "/api/v1/items", {"Authorization": f"Bearer {token}"})
    assert items.getheader("Content-Encoding") == "gzip" and json.loads(gzip.decompress(body))
    auth = {"Authorization": f"Bearer {screen.token}"}
    feed, body = _get(nginx_alone, "/api/v1/feed", auth)     # the device protocol compresses by its own rule
    data = gzip.decompress(body) if feed.getheader("Content-Encoding") == "gzip" else body
    assert feed.status == 200 and json.loads(data)["protocol"] == 2    # once, never twice
    plain, _ = _get(nginx_alone, "/admin/login", {"Accept-Encoding": "identity"})
    assert plain.getheader("Content-Encoding") is None


def test_through_nginx_the_apps_gzip_is_not_doubled(api, behind_nginx):
    import gzip
    page, body = _get(behind_nginx, "/admin/login")
    assert page.getheader("Content-Encoding") == "gzip" and gzip.decompress(body).startswith(b"<!doctype html>")


def install_server(dest, *args, stdin=subprocess.DEVNULL):
    return subprocess.run(["bash", os.path.join(DEPLOY, "install-server.sh"), "--destdir", str(dest), *args],
                          stdin=stdin, capture_output=True, text=True)


def public_url_in(dest) -> str:
    env = (dest / "etc/gongkai/server.env").read_text()
    return re.search(r"^GONGKAI_PUBLIC_BASE_URL=(.*)$", env, re.M).group(1)


def test_install_server_sets_an_address_phones_can_reach(tmp_path):
    """Derived without a terminal (never loopback), given with --public-url, refused when loopback."""
    from server.screens.public_address import is_loopback_url
    dest = tmp_path / "root"
    derived = install_server(dest)
    assert derived.returncode == 0, derived.stderr
    url = public_url_in(dest)
    assert url.startswith("https://") and not is_loopback_url(url) and url in derived.stdout
    given = install_server(dest, "--public-url", "https://gk.hospital.cn/")
    assert given.returncode == 0 and public_url_in(dest) == "https://gk.hospital.cn"   # a second run updates it
    assert "GONGKAI_MEDIA_X_ACCEL=/_media/" in (dest / "etc/gongkai/server.env").read_text()
    for bad in ("http://127.0.0.1:8080", "https://localhost", "http://[::1]/", "gk.hospital.cn", "ftp://gk"):
        refused = install_server(tmp_path / "other", "--public-url", bad)
        assert refused.returncode == 2 and "--public-url" in refused.stderr and "Traceback" not in refused.stderr, bad
        assert not (tmp_path / "other" / "etc/gongkai/server.env").exists()


def test_install_server_asks_for_the_address_on_a_terminal(tmp_path):
    import pty
    leader, follower = pty.openpty()
    os.write(leader, b"https://gongkai.county.gov.cn\n")
    try:
        asked = install_server(tmp_path / "root", stdin=follower)
    finally:
        os.close(follower)
        prompt = os.read(leader, 4096).decode(errors="replace")
        os.close(leader)
    assert asked.returncode == 0, asked.stderr
    assert "Address phones use to reach this server" in prompt + asked.stdout + asked.stderr
    assert public_url_in(tmp_path / "root") == "https://gongkai.county.gov.cn"
