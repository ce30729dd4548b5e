"""What the browser tests share: the system's Chromium (never a downloaded browser), its flags for
this sandbox, where screenshots go, and serving an app on a free loopback port."""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: ./gongkai installs Debian's chromium package; "
                    "these tests never download browsers", pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)


@contextlib.contextmanager
def served(app):
    """The app on http://127.0.0.1:<free port> in a thread, for as long as the block runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["gongkai.engine"].dispose()
