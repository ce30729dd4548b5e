"""Shared set-up of the signage benchmarks: a real offscreen Kivy window (SDL + Mesa), the player on
a cache folder, a fake server clock, frame timing and RSS. Kivy allows one window per process, so
each benchmark runs as its own script; `run_script` is how the smoke tests start one."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for path in (ROOT, os.path.join(ROOT, "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)


def open_window(size: tuple[int, int]) -> None:
    """Kivy environment, window size, unlimited frame rate (frame times are work, not vsync), CJK font."""
    from screen.env import prepare_kivy_env
    prepare_kivy_env(tempfile.mkdtemp(prefix="gk-bench-kivy-"))
    from kivy.config import Config
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "maxfps", "0")
    from screen.fonts import register_cjk_font
    register_cjk_font()


class FakeNow:
    """Server time that moves only when told to."""

    def __init__(self, start):
        self.t = start

    def __call__(self):
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def start_player(data_dir: str, now, size: tuple[int, int], sync=None):
    from screen.sync import SyncClient
    from signage.app import SignageApp
    sync = sync or SyncClient("http://127.0.0.1:9", data_dir, kind="signage", screen=size)
    app = SignageApp(sync, server_url="http://gk.example", data_dir=data_dir, now=now, upload=lambda png: 201,
                     tick_seconds=3600)
    app._run_prepare()
    frames(5)
    return app


def frames(n: int = 1) -> list[float]:
    """Run n frames; each frame's duration in ms, until the GL driver has finished drawing it
    (glFinish: llvmpipe otherwise queues the work and the cost shows up frames later)."""
    from kivy.base import EventLoop
    from kivy.graphics.opengl import glFinish
    out = []
    for _ in range(n):
        t = time.perf_counter()
        EventLoop.idle()
        glFinish()
        out.append((time.perf_counter() - t) * 1000)
    return out


def wait_ready(app, limit: float = 20.0) -> list[float]:
    """Frames (about 60 per second) until the prepared next slide is decoded; their durations."""
    out, deadline = [], time.perf_counter() + limit
    while time.perf_counter() < deadline:
        nxt = app.player.next_widget
        if nxt is None or nxt.ready:
            break
        out += frames(1)
        time.sleep(max(0.0, 1 / 60 - out[-1] / 1000))
    return out + frames(2)


def rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_script(name: str, *args: str, timeout: float = 300) -> str:
    """Run tests/benchmarks/<name>.py in a fresh process (its own Kivy window); its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIVY_") and k != "DISPLAY"}
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "benchmarks", f"{name}.py"), *args],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
    return out.stdout
