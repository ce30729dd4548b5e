"""The README's screenshots, made from the demo: the demo seeded into a real instance (SQLite), the
real server on loopback, and the real kiosk and signage apps in real offscreen windows (portrait and
landscape, one child process each: Kivy has one window per process) that enrol over HTTP, are
approved here once their pairing code is on screen, sync the demo feed and are driven through the
screens the README shows (tests/readme_shots_kiosk.py, tests/readme_shots_signage.py).

In the normal suite the PNGs go to tests/artifacts/readme/ (a test run leaves git clean);
`GONGKAI_README_SHOTS=1 python -m pytest tests/test_readme_screenshots.py` writes docs/screenshots/.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs", "screenshots")
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "readme")
SIZES = ("1080x1920", "1920x1080")
BASE_GROUPS = ["大厅"]


def _out() -> str:
    return DOCS if os.environ.get("GONGKAI_README_SHOTS") == "1" else ARTIFACTS


def _approve_when_ready(app, data_dir: str, settings: dict, stop: threading.Event) -> None:
    """Approve the screen that enrolled from `data_dir` once its child has photographed the code."""
    from server.demo.screens import approve_if_pending
    while not stop.wait(0.2):
        try:
            if not os.path.exists(os.path.join(data_dir, "ready-for-approval")):
                continue
            with open(os.path.join(data_dir, "device.json"), encoding="utf-8") as fh:
                device_id = json.load(fh).get("device_id")
        except (OSError, ValueError):
            continue
        if device_id and approve_if_pending(app, device_id, settings):
            return


def _run_children(app, url: str, tmp_path, kind: str, out: str, timeout: float) -> list[str]:
    """Both orientations of one app at once; returns the failures (output tails)."""
    runs, stop = [], threading.Event()
    for size in SIZES:
        data = tmp_path / f"{kind}-{size}"
        data.mkdir()
        group = f"截图-{kind}-{size}"
        name = "门诊大厅查询机" if kind == "kiosk" else "门诊大厅信息屏"
        settings = {"name": name, "location": "门诊楼一楼大厅", "audiences": ["patients", "public"],
                    "groups": BASE_GROUPS + [group]}
        threading.Thread(target=_approve_when_ready, args=(app, str(data), settings, stop), daemon=True).start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIVY_") and k != "DISPLAY"}
        env.update(KIVY_HOME=str(tmp_path / f"kivy-{kind}-{size}"), KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1",
                   KIVY_NO_FILELOG="1", KIVY_LOG_MODE="MIXED", GONGKAI_SHOTS_URL=url, GONGKAI_SHOTS_DATA=str(data),
                   GONGKAI_SHOTS_SIZE=size, GONGKAI_SHOTS_OUT=out, GONGKAI_SHOTS_GROUP=group,
                   GONGKAI_DISPLAY_OFF="true", GONGKAI_DISPLAY_ON="true",
                   PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
        runs.append(subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", f"readme_shots_{kind}.py")],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    failures = []
    for run in runs:
        try:
            output, _ = run.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.kill()
            output, _ = run.communicate()
            failures.append(f"{kind}: timed out after {timeout} s\n{output[-6000:]}")
            continue
        if run.returncode != 0:
            failures.append(f"{kind} exited {run.returncode}:\n{output[-6000:]}")
    stop.set()
    return failures


def readme_images() -> set[str]:
    """The screenshots the README shows."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        return set(re.findall(r"docs/screenshots/([\w-]+\.png)", fh.read()))


@pytest.mark.timeout(600)
def test_readme_screenshots_from_the_demo(tmp_path):
    from browsing import served
    from server import create_app
    import readme_shots_circular
    from server.demo.content import PASSWORD, seed_demo
    from server.instance import init_instance
    from readme_shots_print import write_print_shot
    out = _out()
    os.makedirs(out, exist_ok=True)
    for name in readme_images():   # only what this run writes counts
        if os.path.exists(os.path.join(out, name)) and out == ARTIFACTS:
            os.remove(os.path.join(out, name))
    app = create_app({"SECRET_KEY": "readme-shots"}, instance_path=str(tmp_path / "instance"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    write_print_shot(app, out)   # the 公开栏 print (tests/readme_shots_print.py)
    with served(app) as url:
        failures = _run_children(app, url, tmp_path, "kiosk", out, timeout=280)
        failures += _run_children(app, url, tmp_path, "signage", out, timeout=240)
        readme_shots_circular.shoot(url, out, PASSWORD)
    assert not failures, "\n\n".join(failures)
    missing = sorted(n for n in readme_images() if not os.path.isfile(os.path.join(out, n)))
    assert not missing, f"the README shows screenshots this generator did not write: {missing}"
