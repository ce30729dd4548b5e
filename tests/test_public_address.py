"""A QR code a phone can open (server/screens/public_address.py): without PUBLIC_BASE_URL, `demo` and `run`
use this host's LAN address and print it; 屏幕管理 warns when the address is loopback while screens
connect from elsewhere; and end to end, the QR code in a real screenshot of the demo's kiosk, read
by a real decoder (zbarimg), opens the feedback form."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from server.screens.public_address import IFF_LOOPBACK, IFF_UP, base_url_for, is_loopback_url, lan_address, settle
from waiting import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_lan_address_is_the_first_usable_interface():
    up = IFF_UP
    info = {"lo": (up | IFF_LOOPBACK, "127.0.0.1"), "wlan0": (0, "10.0.0.7"), "eth9": None,
            "usb0": (up, None), "eth1": (up, "169.254.3.4"), "eth0": (up, "192.168.1.20"), "eth2": (up, "10.1.1.1")}

    def inspect(name):
        if info[name] is None:
            raise OSError("no such device")  # went away between listing and asking
        return info[name]
    order = [(n, name) for n, name in enumerate(info, 1)]
    assert lan_address(order, inspect) == "192.168.1.20"  # down, gone, no address, link-local skipped
    assert lan_address([(1, "lo")], inspect) is None
    assert base_url_for(8080, "192.168.1.20") == "http://192.168.1.20:8080"


@pytest.mark.parametrize("url,loop", [("http://127.0.0.1:8080", True), ("http://127.8.9.1/", True),
                                      ("http://localhost:8080", True), ("http://[::1]:8080/x", True),
                                      ("http://gk.localhost/", True), ("http://192.0.2.2:8080", False),
                                      ("https://gongkai.hospital.cn", False), ("http://[fe80::1]/", False)])
def test_loopback_urls(url, loop):
    assert is_loopback_url(url) is loop


def test_settle_derives_the_lan_address_only_when_not_set():
    config = {"PUBLIC_BASE_URL": "http://127.0.0.1:8080", "PUBLIC_BASE_URL_SET": False}
    lines = settle(config, "0.0.0.0", 9000)
    lan = lan_address()
    assert config["PUBLIC_BASE_URL"] == f"http://{lan or '127.0.0.1'}:9000"
    assert config["PUBLIC_BASE_URL"] in lines[0] and "LAN" in lines[0]
    if lan is None:
        assert any("cannot open" in line for line in lines)
    else:
        assert len(lines) == 1
        assert any("--host 0.0.0.0" in line for line in settle(dict(config, PUBLIC_BASE_URL_SET=False),
                                                               "127.0.0.1", 9000))
    kept = {"PUBLIC_BASE_URL": "https://gk.example", "PUBLIC_BASE_URL_SET": True}
    assert settle(kept, "127.0.0.1", 9000) == ["QR codes send phones to https://gk.example (PUBLIC_BASE_URL)"]
    loop = {"PUBLIC_BASE_URL": "http://localhost:8080", "PUBLIC_BASE_URL_SET": True}
    assert any("cannot open" in line for line in settle(loop, "0.0.0.0", 8080))


def report_from(client, token: str, address: str):
    resp = client.post("/api/v1/devices/report", json={"heartbeat": {"stream": False}, "batches": []},
                       headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": address})
    assert resp.status_code == 200, resp.get_json()


def active_screen(client, api) -> str:
    resp = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}})
    assert resp.status_code == 201, resp.get_json()
    enrolment = resp.get_json()
    approved = api.call("POST", f"/devices/{enrolment['device_id']}/approve", "root",
                        json={"name": "东门查询机", "audiences": ["public"]})
    assert approved.status_code == 200, approved.get_json()
    return client.get(enrolment["poll"]).get_json()["token"]


def login(client, user="root"):
    from conftest import PASSWORD
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/admin/login", data={"username": user, "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("public_url,source,warned", [
    ("http://127.0.0.1:8080", "192.0.2.50", True), ("http://127.0.0.1:8080", "127.0.0.1", False),
    ("https://gk.example", "192.0.2.50", False), ("http://localhost:8080", "2001:db8::5", True)])
def test_screens_page_warns_about_a_loopback_qr_address(app, client, api, public_url, source, warned):
    app.config["PUBLIC_BASE_URL"] = public_url
    token = active_screen(client, api)
    report_from(client, token, source)
    login(client)
    for path in ("/admin/screens",):
        html = client.get(path).get_data(as_text=True)
        assert ('id="loopback-warning"' in html) is warned, html[:2000]
        assert public_url in html
        if warned:
            assert "东门查询机" in html and "PUBLIC_BASE_URL" in html


def test_screen_page_shows_what_the_screen_reported(app, client, api):
    token = active_screen(client, api)
    resp = client.post("/api/v1/devices/report", headers={"Authorization": f"Bearer {token}"},
                       environ_base={"REMOTE_ADDR": "192.0.2.77"},
                       json={"heartbeat": {"stream": True, "content_time": "2026-12-01T09:30:00+08:00"},
                             "batches": []})
    assert resp.status_code == 200
    device = api.call("GET", "/devices", "root").get_json()[0]
    assert device["health"]["address"] == "192.0.2.77" and device["health"]["stream"] == "True"
    login(client)
    html = client.get(f"/admin/screens/{device['device_id']}").get_data(as_text=True)
    assert "192.0.2.77" in html and "2026-12-01 09:30" in html and "已连接" in html


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_kiosks_qr_code_opens_the_feedback_form(tmp_path):
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is not installed: ./gongkai installs zbar-tools (APT_PACKAGES)"
    from server.demo.content import PASSWORD
    port, instance = free_port(), str(tmp_path / "instance")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "GONGKAI_")) and k != "DISPLAY"}
    env["PYTHONPATH"] = ROOT
    log = open(tmp_path / "demo.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "server", "demo", "--instance", instance, "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        printed = wait_for(lambda: re.search(r"QR codes send phones to (\S+)", open(tmp_path / "demo.log").read()),
                           120, "the demo's start").group(1)
        lan = lan_address()
        assert printed == base_url_for(port, lan) and (lan is None) == is_loopback_url(printed), printed
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)
        wait_for(lambda: _up(api), 60, "the demo server")
        token = api.post("/tokens", json={"username": "admin", "password": PASSWORD}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        kiosk = wait_for(lambda: [d for d in api.get("/devices", headers=auth).json()
                                  if d["kind"] == "kiosk" and d["status"] == "active" and d["up_to_date"]],
                         120, "the demo's kiosk showing content")[0]
        resp = api.post(f"/devices/{kiosk['device_id']}/commands", headers=auth, json={"name": "screenshot"})
        assert resp.status_code == 202, resp.text
        shot = wait_for(lambda: _screenshot(api, auth, kiosk["device_id"]), 60, "the kiosk's screenshot")
        path = tmp_path / "kiosk.png"
        path.write_bytes(shot)
        decoded = subprocess.run([zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
                                 capture_output=True, text=True, timeout=60)
        urls = decoded.stdout.split()
        assert urls, f"no QR code found in {path} ({decoded.stderr})"
        print("decoded from the kiosk's screenshot:", urls)
        for url in urls:
            assert url.startswith(printed + "/f/"), (url, printed)
            page = httpx.get(url, timeout=30)  # as a phone on this network would
            assert page.status_code == 200 and "<form" in page.text and "提交" in page.text, page.text[:500]
        if lan is None:
            pytest.fail("this host has no LAN address: the QR code can only hold a loopback address")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _up(api) -> bool:
    try:
        return api.get("/openapi.json").status_code == 200
    except httpx.HTTPError:
        return False


def _screenshot(api, auth, device_id):
    resp = api.get(f"/devices/{device_id}/screenshot", headers=auth)
    return resp.content if resp.status_code == 200 else None
