"""Screenshot upload: POST /api/v1/devices/screenshot with the device's bearer token (device.json)."""
from __future__ import annotations

import os

import httpx

from screen.cache import read_json

__all__ = ["upload_screenshot"]


def upload_screenshot(server: str, data_dir: str, png: bytes, transport=None) -> int:
    """Send the PNG; returns the HTTP status (0 without a token). Raises httpx errors."""
    token = (read_json(os.path.join(data_dir, "device.json"), default={}) or {}).get("token")
    if not token:
        return 0
    with httpx.Client(base_url=server.rstrip("/"), transport=transport, timeout=30) as http:
        resp = http.post("/api/v1/devices/screenshot", content=png,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    return resp.status_code
