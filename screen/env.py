"""Environment for Kivy, set before the first Kivy import (Kivy reads it at import time)."""
from __future__ import annotations

import os

__all__ = ["prepare_kivy_env"]


def prepare_kivy_env(kivy_home: str) -> None:
    """Own KIVY_HOME, no config file, no file log, no argv parsing; SDL offscreen without a display."""
    os.makedirs(kivy_home, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", kivy_home)
    for key, value in (("KIVY_NO_ARGS", "1"), ("KIVY_NO_CONFIG", "1"), ("KIVY_NO_FILELOG", "1"),
                       ("KIVY_LOG_MODE", "MIXED"), ("KIVY_NO_CONSOLELOG", "0")):
        os.environ.setdefault(key, value)
