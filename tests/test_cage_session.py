"""The screens' systemd units run for real under cage, the kiosk compositor they start on tty1.

This machine has no display hardware, so cage runs on wlroots' X11 backend inside Xvfb; on a screen
it uses the DRM backend on tty1. Everything else is as on a screen: the unit's own ExecStart and
Environment lines, a user that is not root (cage refuses root), Xwayland, the app full-screen.
Screenshots come from the compositor (grim), so they show what a person in the lobby would see.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import psutil
import pytest
from PIL import Image

from browsing import ARTIFACTS, served
from waiting import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = os.path.join(ROOT, "deploy", "systemd")
SCREEN_DATA = "/var/lib/gongkai-screen"
VENV_PYTHON = "/opt/gongkai/.venv/bin/python"
NOBODY = 65534


def need(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is not installed: ./gongkai installs it (see APT_PACKAGES)"
    return path


def unit_lines(unit: str, key: str) -> list[str]:
    with open(os.path.join(UNITS, unit), encoding="utf-8") as f:
        return [line.split("=", 1)[1].strip() for line in f if line.startswith(key + "=")]


def as_screen_user() -> tuple[list[str], str, dict]:
    """How to run as the screen's unprivileged user: (command prefix, python, extra environment).
    As root: user nobody with Debian's python3 (root's venv interpreter may sit in a private home)
    reading this checkout's packages; otherwise the current user and interpreter."""
    if os.geteuid() != 0:
        return [], sys.executable, {}
    python = "/usr/bin/python3"
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    assert version == str(sys.version_info[:2]), f"{python} is {version}, the venv is {sys.version_info[:2]}"
    site = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    prefix = [need("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return prefix, python, {"PYTHONPATH": os.pathsep.join([site, ROOT])}


@pytest.fixture
def screen_dir():
    """A folder the screen user owns (pytest's tmp_path is private to root)."""
    path = tempfile.mkdtemp(prefix="gongkai-cage-")
    os.chmod(path, 0o755)
    for sub in ("data", "run", "home"):
        os.mkdir(os.path.join(path, sub), 0o700)
        if os.geteuid() == 0:
            os.chown(os.path.join(path, sub), NOBODY, NOBODY)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def xvfb():
    """A bare X server for cage's X11 backend to open its output window on."""
    read, write = os.pipe()
    proc = subprocess.Popen([need("Xvfb"), "-displayfd", str(write), "-screen", "0", "1280x900x24",
                             "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = ":" + f.readline().strip()
    yield display
    proc.terminate()
    proc.wait(timeout=10)


def grab(prefix, env, dest: str) -> Image.Image:
    """What cage shows, read back through its screencopy protocol."""
    png = subprocess.run([*prefix, need("grim"), "-t", "png", "-"], env=env, check=True, timeout=30,
                         capture_output=True).stdout
    with open(dest, "wb") as f:
        f.write(png)
    return Image.open(dest).convert("RGB")


def distinct_colours(image: Image.Image) -> int:
    return len(image.getcolors(maxcolors=1 << 20) or [])


def luminance(rgb) -> float:
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_contrast(image: Image.Image) -> float:
    """WCAG contrast between the page colour and the strongest colour covering ≥ 0.5 % of the screen
    (the pairing code's glyphs, drawn big)."""
    colours = sorted(image.getcolors(maxcolors=1 << 20), reverse=True)
    background = luminance(colours[0][1])
    common = [luminance(c) for n, c in colours if n >= image.width * image.height * 0.005]
    return max((max(background, v) + 0.05) / (min(background, v) + 0.05) for v in common)


@pytest.mark.parametrize("unit,kind", [("gongkai-kiosk.service", "kiosk"),
                                        ("gongkai-signage.service", "signage")])
def test_unit_boots_the_screen_under_cage(unit, kind, app, api, screen_dir, xvfb):
    prefix, python, extra = as_screen_user()
    ARTIFACTS.mkdir(exist_ok=True)
    data, run, home = (os.path.join(screen_dir, sub) for sub in ("data", "run", "home"))
    (exec_start,) = unit_lines(unit, "ExecStart")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "WAYLAND", "SDL_"))}
    for line in unit_lines(unit, "Environment"):
        env.update(item.split("=", 1) for item in shlex.split(line))
    env = {k: v.replace(SCREEN_DATA, data) for k, v in env.items()}
    env.update(extra, HOME=home, XDG_RUNTIME_DIR=run, DISPLAY=xvfb, WLR_BACKENDS="x11",
               WLR_RENDERER="pixman", WLR_LIBINPUT_NO_DEVICES="1")
    with served(app) as url:
        argv = [a.replace(VENV_PYTHON, python).replace(SCREEN_DATA, data).replace("${GONGKAI_SERVER}", url)
                for a in shlex.split(exec_start)]
        assert argv[0] == "/usr/bin/cage" and "--fullscreen" in argv and argv[argv.index("--") + 2:][:2] == ["-m", kind]
        argv[0] = need("cage")
        session_log = os.path.join(screen_dir, "session.log")
        log = open(session_log, "w")
        session = subprocess.Popen([*prefix, *argv], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            pending = wait_for(lambda: [d for d in api.call("GET", "/devices", "root").get_json()
                                        if d["status"] == "pending" and d["kind"] == kind], 90, "enrolment")
            wait_for(lambda: os.path.exists(os.path.join(run, "wayland-0")), 30, "cage's socket")
            grim_env = dict(env, WAYLAND_DISPLAY="wayland-0")
            time.sleep(3)  # the pairing screen's first frames
            pairing = grab(prefix, grim_env, str(ARTIFACTS / f"cage-{kind}-pairing.png"))
            assert distinct_colours(pairing) > 20, "the compositor shows a blank screen"
            # the whole output is the app (no desktop, no frame): both bottom corners are its page colour
            corners = {pairing.getpixel(p) for p in ((0, pairing.height - 1), (pairing.width - 1, pairing.height - 1))}
            assert corners == {sorted(pairing.getcolors(1 << 20))[-1][1]}, corners
            assert text_contrast(pairing) >= 7, "the pairing code is hard to read from 2 m"

            device_id = pending[0]["device_id"]
            resp = api.call("POST", f"/devices/{device_id}/approve", "root",
                            json={"audiences": ["public"], "name": "大厅一号"})
            assert resp.status_code == 200, resp.get_json()
            wait_for(lambda: os.path.exists(os.path.join(data, "manifest.json")), 60, "the first manifest")
            time.sleep(4)
            running = grab(prefix, grim_env, str(ARTIFACTS / f"cage-{kind}-running.png"))
            assert running.size == pairing.size
            changed = sum(a != b for a, b in zip(pairing.getdata(), running.getdata()))
            assert changed > running.width * running.height // 10, "the screen did not leave pairing"

            # the app dies: cage ends with it, so systemd's Restart= restarts the whole session
            (child,) = [p for p in psutil.Process(session.pid).children(recursive=True)
                        if "python" in os.path.basename(p.exe())]
            child.kill()
            started = time.monotonic()
            session.wait(timeout=10)
            assert time.monotonic() - started < 2
        except BaseException:
            print("---- cage session log ----\n" + open(session_log, errors="replace").read()[-6000:])
            raise
        finally:
            if session.poll() is None:
                for p in psutil.Process(session.pid).children(recursive=True):
                    p.kill()
                session.kill()
                session.wait()
            log.close()
    (restart_sec,) = unit_lines(unit, "RestartSec")
    assert unit_lines(unit, "Restart") == ["always"] and float(restart_sec) < 5
