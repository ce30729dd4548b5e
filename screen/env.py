"""Environment for Kivy, set before the first Kivy import (Kivy reads it at import time)."""
from __future__ import annotations

import os

__all__ = ["prepare_kivy_env", "return_freed_memory"]

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


def prepare_kivy_env(kivy_home: str) -> None:
    """Own KIVY_HOME, no config file, no file log, no argv parsing; SDL offscreen without a display."""
    os.makedirs(kivy_home, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", kivy_home)
    for key, value in (("KIVY_NO_ARGS", "1"), ("KIVY_NO_CONFIG", "1"), ("KIVY_NO_FILELOG", "1"),
                       ("KIVY_LOG_MODE", "MIXED"), ("KIVY_NO_CONSOLELOG", "0")):
        os.environ.setdefault(key, value)


def return_freed_memory() -> bool:
    """Make glibc give large freed buffers back to the system (screen apps, called before Kivy).

    Slides and item pages are built and dropped all day: text textures of several MB, decoded
    images, table pages. glibc raises its mmap threshold after such buffers are freed, so later
    ones come from the heap and RSS never goes down again — the signage player settled 25 MB
    higher (measured, tests/benchmarks/screen_start.py). A fixed 128 KiB threshold keeps large
    buffers in their own mappings, returned when freed. False where there is no glibc.
    """
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 20))
    except (OSError, AttributeError):
        return False
