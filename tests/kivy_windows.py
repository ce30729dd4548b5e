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
