"""Parts of the real-time screen soak (screen_soak.py): the server as its own process (stopped and
restarted), a TCP relay between screens and server that can cut the network, staff actions over
the JSON API, screen app processes sampled with psutil, and the SVG chart. Loopback only."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra) -> dict:
    """This checkout's code (not the venv's editable install), no display: SDL renders offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "GONGKAI_")) and k != "DISPLAY"}
    env["PYTHONPATH"] = ROOT
    env.update(extra)
    return env


class Relay:
    """127.0.0.1:port → the server's port. `cut()` closes every connection and refuses new ones
    (screens see a dead network); `restore()` listens again on the same port."""

    def __init__(self, target: int):
        self.target, self.port = target, free_port()
        self._conns: set = set()
        self._lock = threading.Lock()
        self._listener = None
        self.restore()

    def restore(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            _close(conn)

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)  # the server is down: the screen sees a reset, as on a real network
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for conn in (src, dst):
            _close(conn)
            with self._lock:
                self._conns.discard(conn)


def _close(conn) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


class ServerProcess:
    """`python -m server run` (gunicorn + gevent, the production path) over an instance folder."""

    def __init__(self, instance: str, log_path: str):
        self.instance, self.port, self.log_path = instance, free_port(), log_path
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "server", "run", "--instance", self.instance,
                                      "--port", str(self.port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     env=child_env())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/api/v1/openapi.json", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def up(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Staff:
    """The demo's staff acting over the JSON API (tokens survive server restarts)."""
    FLOW = [("submit", "lianluo"), ("review", "gongkai"), ("clear", "baomi"), ("approve", "yuanzhang")]

    def __init__(self, url: str, password: str):
        self.http = httpx.Client(base_url=url + "/api/v1", timeout=30)
        self.tokens = {}
        for name in ("lianluo", "gongkai", "baomi", "yuanzhang", "admin"):
            resp = self.http.post("/tokens", json={"username": name, "password": password})
            resp.raise_for_status()
            self.tokens[name] = resp.json()["token"]

    def call(self, method: str, path: str, who: str, **kwargs) -> httpx.Response:
        return self.http.request(method, path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs)

    def publish(self, n: int, end_iso: str) -> int:
        """A notice through the whole review (提出 → 审议 → 保密审查 → 审定), playing in the lobby until
        `end_iso`; every 4th carries a table, every 5th goes on the ticker. Returns the item id."""
        signage = {"enabled": True, "slide": "auto", "duration": 10, "groups": ["大厅"], "ticker": n % 5 == 0}
        body = (f"第 {n} 号便民通知：自即日起门诊 7:30 开始挂号，咨询电话 0571-12345678。"
                "本院将持续优化就医流程，为患者提供便捷、高效的医疗服务。")
        resp = self.call("POST", "/items", "lianluo", json={
            "category": "conveniences", "title": f"便民通知（{n}）", "body": body, "signage": signage,
            "window": {"end": end_iso}})
        resp.raise_for_status()
        item, version = resp.json()["id"], resp.json()["version"]
        if n % 4 == 0:
            csv = "编码,项目名称,价格（元）\n" + "".join(f"{n:03d}{r:02d},检查项目{r},{r * 7}.00\n" for r in range(30))
            self.call("PUT", f"/items/{item}/table", "lianluo", content=csv.encode(), params={"version": version}
                      ).raise_for_status()
        for action, who in self.FLOW:
            self.call("POST", f"/items/{item}/actions", who, json={"action": action, "comment": "同意"}
                      ).raise_for_status()
        return item

    def raise_alert(self) -> int:
        resp = self.call("POST", "/alerts", "yuanzhang", json={
            "title": "门诊楼电梯检修", "body": "10:30 起门诊楼 2 号电梯停用检修，请走东侧楼梯或 1 号电梯。",
            "groups": ["大厅"]})
        resp.raise_for_status()
        return resp.json()["id"]

    def clear_alert(self, alert_id: int) -> None:
        self.call("POST", f"/alerts/{alert_id}/clear", "yuanzhang").raise_for_status()

    def devices(self) -> list[dict]:
        resp = self.call("GET", "/devices", "admin")
        resp.raise_for_status()
        return resp.json()

    def approve(self, device_id: str, name: str) -> None:
        self.call("POST", f"/devices/{device_id}/approve", "admin", json={
            "name": name, "location": "门诊楼一楼大厅", "audiences": ["patients", "public"], "groups": ["大厅"]}
                  ).raise_for_status()


class ScreenProcess:
    """`python -m kiosk|signage` against the relay, sampled for RSS and CPU."""

    def __init__(self, kind: str, server: str, folder: str, size: str):
        self.kind, self.data = kind, os.path.join(folder, kind)
        os.makedirs(self.data, exist_ok=True)
        self.log_path = os.path.join(folder, f"{kind}.log")
        self.proc = subprocess.Popen([sys.executable, "-m", kind, "--server", server, "--data", self.data,
                                      "--size", size], cwd=ROOT, stdout=open(self.log_path, "w"),
                                     stderr=subprocess.STDOUT, env=child_env())
        self.ps = psutil.Process(self.proc.pid)
        self._cpu, self._at = self._cpu_seconds(), time.monotonic()

    def _cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def sample(self) -> tuple[float, float]:
        """(RSS MiB, mean % of one core since the last sample)."""
        cpu, at = self._cpu_seconds(), time.monotonic()
        pct = 100 * (cpu - self._cpu) / max(1e-6, at - self._at)
        self._cpu, self._at = cpu, at
        return self.ps.memory_info().rss / 2**20, pct

    def device_id(self) -> str | None:
        import json
        try:
            with open(os.path.join(self.data, "device.json"), encoding="utf-8") as fh:
                return json.load(fh).get("device_id")
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> tuple[int | None, float]:
        """SIGTERM; (exit code, seconds to exit)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = None
            self.proc.wait()
        return code, time.monotonic() - started
