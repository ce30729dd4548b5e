"""Running a Kivy UI test module in real windows: Kivy keeps one Window per process (and global
Clock, Builder rules, logging), so the module runs again in two child processes — portrait with
every test, landscape with the tests named *_both — each with a clean Kivy environment."""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (("1080x1920", []), ("1920x1080", ["-k", "both"]))


def run_in_windows(test_file: str, env_for, tmp_path, timeout: float) -> None:
    """Run `test_file` in both orientations; `env_for(size)` gives each child's own variables.
    Fails with the tail of each failing child's output."""
    runs = []
    for size, select in SIZES:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIVY_") and k != "DISPLAY"}
        env.update(KIVY_HOME=str(tmp_path / size), KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1",
                   KIVY_NO_FILELOG="1", KIVY_LOG_MODE="MIXED", **env_for(size))
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xvfb",
             *select, os.path.abspath(test_file)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True))
    failures = []
    for run in runs:
        try:
            out, _ = run.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.kill()
            out, _ = run.communicate()
            failures.append(f"timed out after {timeout} s:\n{out[-8000:]}")
            continue
        if run.returncode != 0:
            failures.append(out[-8000:])
    assert not failures, "\n".join(failures)


# ---- helpers for the child processes (import only after the Kivy environment is prepared) ------
def walk(widget):
    """The widget and everything below it."""
    yield widget
    for child in widget.children:
        yield from walk(child)


def opaque(widget) -> bool:
    """Neither the widget nor any parent is fully transparent."""
    w = widget
    while w is not None and w is not w.parent:
        if getattr(w, "opacity", 1) == 0:
            return False
        w = w.parent
    return True


def save_screenshot(dest: str) -> None:
    """A PNG of exactly what the window shows, written to `dest`."""
    import shutil
    import tempfile
    from kivy.core.window import Window
    folder = tempfile.mkdtemp()
    path = Window.screenshot(name=os.path.join(folder, "shot.png"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.move(path, dest)
    shutil.rmtree(folder, ignore_errors=True)
