"""Display power at night (optional): deploy/ may set GONGKAI_DISPLAY_OFF and GONGKAI_DISPLAY_ON
(e.g. in /etc/gongkai/screen.env: `wlr-randr --output HDMI-A-1 --off` / `... --on`). The player runs
the command, without a shell, when its night screen starts and ends; unset means the panel stays on
showing the black night screen with its small clock. A failing command is ignored (logged)."""
from __future__ import annotations

import logging
import os
import shlex
import subprocess

__all__ = ["switch_display"]

log = logging.getLogger(__name__)


def switch_display(on: bool, env=None) -> subprocess.Popen | None:
    """Start the configured on/off command in the background; None if none is configured."""
    command = (env if env is not None else os.environ).get("GONGKAI_DISPLAY_ON" if on else "GONGKAI_DISPLAY_OFF")
    if not command or not command.strip():
        return None
    try:
        return subprocess.Popen(shlex.split(command), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    except (OSError, ValueError) as exc:
        log.warning("display %s command failed: %s", "on" if on else "off", exc)
        return None
