"""What the README screenshot children (readme_shots_kiosk.py, readme_shots_signage.py) share: the
Kivy window set up from the environment, the pairing hand-shake with the parent (which approves the
screen on the real server once the pairing code has been photographed), syncing until the demo's
feed and media are in the cache, alerts raised over the staff API, and the checks each shot passes.

Environment (set by test_readme_screenshots.py): GONGKAI_SHOTS_URL (the server on loopback),
GONGKAI_SHOTS_DATA (the screen's data folder), GONGKAI_SHOTS_SIZE (WxH), GONGKAI_SHOTS_OUT (folder
for the PNGs), GONGKAI_SHOTS_GROUP (this screen's own group, so its alert reaches only it).
"""
from __future__ import annotations

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
URL = os.environ.get("GONGKAI_SHOTS_URL", "")
DATA = os.environ.get("GONGKAI_SHOTS_DATA", "")
OUT = os.environ.get("GONGKAI_SHOTS_OUT", "")
GROUP = os.environ.get("GONGKAI_SHOTS_GROUP", "")
SIZE = tuple(int(v) for v in os.environ.get("GONGKAI_SHOTS_SIZE", "1080x1920").split("x"))
ORIENT = "portrait" if SIZE[1] >= SIZE[0] else "landscape"
READY = "ready-for-approval"   # the child writes it into its data folder after the pairing shot
APPROVER = ("yuanzhang", "gongkai-demo")   # the demo's 院长 (approver of H001): raises alerts


def prepare_window() -> str:
    """Kivy environment, window size and the CJK font; returns the font file."""
    from screen.env import prepare_kivy_env
    prepare_kivy_env(os.environ["KIVY_HOME"])
    from kivy.config import Config
    Config.set("graphics", "width", str(SIZE[0]))
    Config.set("graphics", "height", str(SIZE[1]))
    from screen.fonts import register_cjk_font
    return register_cjk_font()


def frames(n: int = 3) -> None:
    from kivy.base import EventLoop
    from kivy.graphics.opengl import glFinish
    for _ in range(n):
        EventLoop.idle()
        glFinish()


def shoot(prefix: str, name: str) -> str:
    """<OUT>/<prefix>-<name>-<orientation>.png of exactly what the window shows; checked not blank."""
    from PIL import Image
    from kivy_windows import save_screenshot
    frames(3)
    path = os.path.join(OUT, f"{prefix}-{name}-{ORIENT}.png")
    save_screenshot(path)
    with Image.open(path) as im:
        assert im.size == SIZE, f"{path}: {im.size} != {SIZE}"
        colours = im.convert("RGB").resize((64, 64)).getcolors(64 * 64)
    assert colours is None or len(colours) > 2 or name == "night", f"{path} is blank"
    return path


def ask_for_approval() -> None:
    with open(os.path.join(DATA, READY), "w", encoding="utf-8") as fh:
        fh.write("pairing code photographed")


def wait_active(sync, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sync.enrol_step() != "active":
        assert time.monotonic() < deadline, f"not approved within {timeout} s (state {sync.state})"
        time.sleep(0.3)


def sync_all(sync, timeout: float = 90.0) -> dict:
    """Sync until the signed, hydrated manifest and every media file it names are cached."""
    deadline = time.monotonic() + timeout
    while True:
        sync.sync_once()
        manifest = sync.cached_manifest()
        if manifest is not None:
            media = [m["sha256"] for i in manifest.get("items", []) for m in i.get("media") or []]
            if all(os.path.isfile(sync.media_path(sha)) for sha in media):
                return manifest
        assert time.monotonic() < deadline, f"feed not complete within {timeout} s"
        time.sleep(0.3)


def _token(client) -> str:
    resp = client.post(f"{URL}/api/v1/tokens", json={"username": APPROVER[0], "password": APPROVER[1]})
    assert resp.status_code == 201, resp.text
    return resp.json()["token"]


def raise_alert(title: str, body: str) -> int:
    """紧急通知 for this screen's own group only, through the staff API (as the approver would)."""
    import httpx
    with httpx.Client(timeout=10) as client:
        token = _token(client)
        resp = client.post(f"{URL}/api/v1/alerts", json={"title": title, "body": body, "groups": [GROUP]},
                           headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 201, resp.text
        return resp.json()["id"]


def clear_alert(alert_id: int) -> None:
    import httpx
    with httpx.Client(timeout=10) as client:
        token = _token(client)
        resp = client.post(f"{URL}/api/v1/alerts/{alert_id}/clear", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text


def wait_manifest(sync, check, timeout: float = 30.0) -> dict:
    """Sync until the cached manifest satisfies `check`."""
    deadline = time.monotonic() + timeout
    while True:
        sync.sync_once()
        manifest = sync.cached_manifest()
        if manifest is not None and check(manifest):
            return manifest
        assert time.monotonic() < deadline, "the server's change did not reach the screen"
        time.sleep(0.3)


def labels_with_cjk(root) -> list:
    """Every shown label with Chinese text under `root`."""
    from kivy.uix.label import Label
    from kivy_windows import opaque, walk
    return [w for w in walk(root) if isinstance(w, Label) and opaque(w) and w.width > 1
            and any("\u4e00" <= ch <= "\u9fff" for ch in w.text)]


_GLYPHS: dict = {}


def assert_cjk(root) -> int:
    """Every label with Chinese is drawn with a font that has CJK glyphs (no tofu); returns how many."""
    from kivy.core.text import LabelBase
    from PIL import ImageFont
    labels = labels_with_cjk(root)
    for label in labels:
        files = LabelBase._fonts.get(label.font_name)
        font_file = files[0] if files else label.font_name
        if font_file not in _GLYPHS:
            f = ImageFont.truetype(font_file, 40)
            _GLYPHS[font_file] = bytes(f.getmask("血")) != bytes(f.getmask("\U0010fffd"))
        assert _GLYPHS[font_file], f"{label.text[:20]!r} drawn with {font_file}: no CJK glyphs"
    assert labels, "no Chinese text on screen"
    return len(labels)


def texts(root) -> str:
    return "\n".join(w.text for w in labels_with_cjk(root))
