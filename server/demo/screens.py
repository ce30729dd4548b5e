"""The demo's own screens: start the screen apps beside the demo server and approve exactly the
devices they enrol (read from their own device.json), as the demo admin would by pairing code.

Without a display the Kivy apps render offscreen (SDL picks it); the screens still enrol, sync
and upload screenshots, which the admin UI shows under 屏幕管理.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import select

from server import db

from server.screens import registry
from server.screens.models import Device
from server.models import User

SCREENS = [  # app, data folder, approval settings
    ("kiosk", "screen-kiosk", {"name": "门诊大厅查询机", "location": "门诊楼一楼大厅",
                               "audiences": ["patients", "public"]}),
    ("signage", "screen-signage", {"name": "门诊大厅信息屏", "location": "门诊楼一楼大厅",
                                   "audiences": ["patients", "public"], "groups": ["大厅"]}),
]
APPROVER = "admin"


def start(app, url: str, instance: str) -> list[subprocess.Popen]:
    """Start each screen app that exists and a thread approving it once it has enrolled."""
    procs = []
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1", KIVY_NO_FILELOG="1",
               KIVY_HOME=os.path.join(instance, "kivy-home"))
    for kind, folder, settings in SCREENS:
        data_dir = os.path.join(instance, folder)
        os.makedirs(data_dir, exist_ok=True)
        log = open(os.path.join(instance, f"{kind}.log"), "ab")
        procs.append(subprocess.Popen([sys.executable, "-m", kind, "--server", url, "--data", data_dir],
                                      stdout=log, stderr=subprocess.STDOUT, env=env,
                                      process_group=0))  # its own group: stop() ends all it started
        threading.Thread(target=_approve_when_enrolled, args=(app, data_dir, settings),
                         name=f"demo-approve-{kind}", daemon=True).start()
    return procs


def stop(procs: list[subprocess.Popen], timeout: float = 5.0) -> None:
    """SIGTERM to each screen's process group (the apps exit within 2 s, sending their last
    report), SIGKILL to any group still there after `timeout`."""
    for proc in procs:
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _approve_when_enrolled(app, data_dir: str, settings: dict, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    path = os.path.join(data_dir, "device.json")
    while not stop.wait(1.0):
        try:
            with open(path, encoding="utf-8") as fh:
                device_id = json.load(fh).get("device_id")
        except (OSError, ValueError):
            continue
        if device_id and approve_if_pending(app, device_id, settings):
            return


def approve_if_pending(app, device_id: str, settings: dict) -> bool:
    """Approve the demo's own screen; True once it is active (or was already)."""
    with app.app_context():
        s = db.session()
        device = s.get(Device, device_id)
        if device is None:
            return False
        if device.status == "pending":
            admin = s.scalar(select(User).where(User.username == APPROVER))
            registry.approve(s, admin, device_id, dict(settings))
        return True
