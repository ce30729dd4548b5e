"""Pairing screen: the code an admin types to approve this screen, readable from 2 m."""
from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

__all__ = ["PairingScreen"]


class PairingScreen(Screen):
    code = StringProperty("")
    status = StringProperty("")

    def on_enter(self, *_):
        self.refresh()
        self._ev = Clock.schedule_interval(lambda dt: self.refresh(), 1.0)

    def on_leave(self, *_):
        if getattr(self, "_ev", None):
            self._ev.cancel()

    def show(self, **_):
        self.refresh()

    def refresh(self):
        sync = App.get_running_app().sync
        state, code = sync.state, sync.pairing_code or ""
        self.code = " ".join(code) if code else "······"
        if state == "active":
            self.status = "已批准，正在下载公开内容…"
        elif state == "pending":
            self.status = "请管理员在后台“屏幕管理”中输入此配对码批准本机"
        elif state == "revoked":
            self.status = "本机已被停用，请管理员重新批准"
        else:
            self.status = "正在连接服务器…" + (f"\n{sync.last_error}" if sync.last_error else "")
