"""Waiting for something a real server, screen or process does in its own time: tests poll with
a generous deadline (a busy machine is slow, not wrong) and say what they waited for."""
from __future__ import annotations

import time


def poll(predicate, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """True as soon as `predicate()` is; False once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def wait_for(check, timeout: float, what: str, interval: float = 0.2):
    """The first truthy value of `check()`; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
