"""What a screen says about itself in each heartbeat besides its feed state: the installed app
version, the free disk space of its data folder and when the content it holds was signed."""
from __future__ import annotations

import importlib.metadata
import shutil


def installed_version() -> str:
    try:
        return importlib.metadata.version("gongkai")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def free_disk(path: str) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def content_time(manifest) -> str | None:
    """The cached manifest's `server_time` (when its content was signed), if there is one."""
    return manifest.get("server_time") if isinstance(manifest, dict) else None
