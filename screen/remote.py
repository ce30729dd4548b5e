"""The remote commands both screen apps answer from the event stream (docs/architecture.md, device protocol): dispatch,
the screen's identity for `identify`, and `screenshot` — a PNG of exactly what the window shows,
uploaded off the main thread (a failed upload is dropped: the admin simply asks again)."""
from __future__ import annotations

import os
import tempfile
import threading

from screen import present

__all__ = ["RemoteCommands"]


class RemoteCommands:
    """Mixin for a Kivy App with `commands` (name → handler), `manifest`, `sync`, `upload`
    (None: upload to `server_url` with the device token in `data_dir`)."""

    def run_command(self, name: str, data=None) -> bool:
        handler = self.commands.get(name)
        if handler is None:
            return False
        handler(data or {})
        return True

    def identity(self) -> tuple[str, str]:
        """(name, screen code) as the identify overlay shows them."""
        device = (self.manifest or {}).get("device") or {}
        return (present.text(device.get("name") or "未命名屏幕", 40),
                present.text(device.get("screen_code") or self.sync.device_id or "", 40))

    def cmd_screenshot(self, _data):
        from kivy.core.window import Window
        folder = tempfile.mkdtemp(prefix="gk-shot-")
        path = Window.screenshot(name=os.path.join(folder, "screen.png"))
        self.last_screenshot = path
        if not path:
            return
        with open(path, "rb") as fh:
            png = fh.read()
        send = self.upload if self.upload is not None else self._upload_to_server
        threading.Thread(target=self._send_quietly, args=(send, png), daemon=True).start()

    def _upload_to_server(self, png: bytes):
        from screen.upload import upload_screenshot
        return upload_screenshot(self.server_url, self.data_dir, png)

    @staticmethod
    def _send_quietly(send, png):
        try:
            send(png)
        except Exception:  # network trouble: the admin asks again
            pass
