"""How a screen app stops and proves it is alive (docs/architecture.md, screens):

- SIGTERM, SIGINT and SIGHUP stop the app cleanly: the next Kivy frame runs App.stop() (on_stop
  queues what is still in memory — proof of play, touch views — into the on-disk outbox), then
  run_with_sync sends one last report. SDL would otherwise turn these signals into a quit event
  that a busy main loop may not read for a long time. Should the main loop not come back (hung),
  the process exits anyway after STOP_SECONDS: what is queued is on disk already.
- systemd's watchdog (`Type=notify`, `WatchdogSec=` in deploy/systemd): READY=1 once the first
  frame is drawn, WATCHDOG=1 from the Kivy clock — so pings stop when the UI thread hangs, and
  systemd restarts the screen. Sent over $NOTIFY_SOCKET (the sd_notify datagram protocol);
  without it (not under systemd) nothing is sent.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading

__all__ = ["STOP_SECONDS", "install", "notify", "watchdog_interval"]

STOP_SECONDS = 1.8  # a hung main loop: exit after this long anyway (the outbox is on disk)
SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
log = logging.getLogger(__name__)


def notify(message: str, environ=None) -> bool:
    """Send one sd_notify message ("READY=1", "WATCHDOG=1", "STOPPING=1"); False if not under systemd."""
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    if address[0] == "@":
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("ascii"))
        return True
    except OSError as exc:
        log.warning("sd_notify %s failed: %s", message, exc)
        return False


def watchdog_interval(environ=None) -> float | None:
    """Seconds between WATCHDOG=1 pings: half of systemd's WATCHDOG_USEC, or None if unset.
    (WATCHDOG_PID names cage, the unit's main process; the app is its child and pings for it,
    which NotifyAccess=all allows.)"""
    raw = (environ if environ is not None else os.environ).get("WATCHDOG_USEC", "")
    try:
        usec = int(raw)
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


def install(app) -> None:
    """Signal handlers and watchdog pings for a running Kivy app (call from on_start, after SDL's
    own handlers were installed with the window)."""
    from kivy.clock import Clock

    def stop_requested(signum, _frame):
        log.info("signal %s: stopping", signal.Signals(signum).name)
        if getattr(app, "_stopping", False):
            return
        app._stopping = True
        from screen import pacing
        pacing.set_rate(None)  # a slowed loop (night screen) answers at once
        Clock.schedule_once(lambda dt: app.stop(), 0)
        timer = threading.Timer(STOP_SECONDS, _exit_now)
        timer.daemon = True
        timer.start()

    for signum in SIGNALS:
        signal.signal(signum, stop_requested)
    if os.environ.get("NOTIFY_SOCKET"):
        from kivy.core.window import Window

        def ready(*_):
            Window.unbind(on_flip=ready)
            notify("READY=1")  # the first frame is drawn (screen.pacing finishes it before the swap)
            interval = watchdog_interval()
            if interval:
                Clock.schedule_interval(lambda dt: notify("WATCHDOG=1"), interval)
        Window.bind(on_flip=ready)


def _exit_now() -> None:
    log.warning("the main loop did not stop within %.1f s: exiting", STOP_SECONDS)
    notify("STOPPING=1")
    os._exit(0)
