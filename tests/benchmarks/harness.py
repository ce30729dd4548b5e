"""Shared set-up for benchmarks: a real server process on loopback, staff, enrolled screens."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "bench-password"
STAFF = {"alice": "contributor", "bob": "reviewer", "carol": "confidentiality", "dan": "approver",
         "root": "admin"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(*args, stdin: str = "", env: dict | None = None) -> None:
    subprocess.run([sys.executable, "-m", "server", *args], input=stdin, text=True, check=True,
                   cwd=ROOT, capture_output=True, env=env)


class Server:
    """`python -m server run` (gunicorn + gevent) or `demo`-style embedded server over a fresh instance."""

    def __init__(self, workers: int = 1, embedded: bool = False, database_url: str | None = None):
        self.dir = tempfile.mkdtemp(prefix="gongkai-bench-")
        self.instance = os.path.join(self.dir, "instance")
        env = dict(os.environ, **({"GONGKAI_DATABASE_URL": database_url} if database_url else {}))
        env["GONGKAI_ENROL_RATE_LIMIT"] = "0"   # every simulated screen enrols from one loopback address
        cli("init", "--instance", self.instance, env=env)
        for name, role in STAFF.items():
            cli("create-user", name, "--roles", role, "--instance", self.instance, stdin=PASSWORD + "\n", env=env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if embedded:
            code = ("import sys; from server import create_app; from server.cli.commands import serve; "
                    f"serve(create_app(instance_path={self.instance!r}), '127.0.0.1', {self.port})")
            cmd = [sys.executable, "-c", code]
        else:
            cmd = [sys.executable, "-m", "server", "run", "--instance", self.instance,
                   "--port", str(self.port), "--workers", str(workers)]
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.cmd, self.env = cmd, env
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self._wait()
        self.tokens = {name: self.token(name) for name in STAFF}

    def crash_and_restart(self) -> None:
        """SIGKILL the server and its workers (a power cut for the app), then start it again."""
        proc = psutil.Process(self.proc.pid)
        for p in proc.children(recursive=True) + [proc]:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        self.proc.wait(10)
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/api/v1/openapi.json", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start: " + open(os.path.join(self.dir, "server.log")).read()[-2000:])

    def token(self, user: str) -> str:
        resp = httpx.post(self.url + "/api/v1/tokens", json={"username": user, "password": PASSWORD})
        return resp.json()["token"]

    def call(self, method: str, path: str, user: str, **kw) -> httpx.Response:
        return httpx.request(method, self.url + "/api/v1" + path, timeout=60,
                             headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kw)

    def enrol(self, n: int, audiences=("public",)) -> list[tuple[str, str, str]]:
        """n approved screens: (device_id, token, public_key)."""
        out = []
        with httpx.Client(base_url=self.url, timeout=60) as client:
            admin = {"Authorization": f"Bearer {self.tokens['root']}"}
            for _ in range(n):
                body = client.post("/api/v1/devices/enrol", json={"kind": "signage",
                                                                  "screen": {"w": 1920, "h": 1080}}).json()
                client.post(f"/api/v1/devices/{body['device_id']}/approve", headers=admin,
                            json={"audiences": list(audiences), "name": "bench"}).raise_for_status()
                got = client.get(body["poll"]).json()
                out.append((body["device_id"], got["token"], got["public_key"]))
        return out

    def draft_to_cleared(self, title: str) -> int:
        item = self.call("POST", "/items", "alice", json={"category": "notices", "title": title,
                                                           "body": "基准测试"}).json()
        for action, user in [("submit", "alice"), ("review", "bob"), ("clear", "carol")]:
            self.call("POST", f"/items/{item['id']}/actions", user, json={"action": action}).raise_for_status()
        return item["id"]

    def publish_table(self, rows: int) -> int:
        """Publish a price table of `rows` rows through the whole workflow; returns the item id."""
        table = {"columns": ["编码", "项目名称", "计价单位", "价格（元）", "医保类别"],
                 "rows": [[f"{i:06d}", f"检查项目{i}号（含耗材）", "次", f"{i % 900 + 10}.00", "甲类"]
                          for i in range(rows)]}
        item = self.call("POST", "/items", "alice", json={"category": "prices", "title": f"价格表 {rows} 行",
                                                           "body": "本院医疗服务价格"})
        item.raise_for_status()
        item_id = item.json()["id"]
        self.call("PATCH", f"/items/{item_id}", "alice",
                  json={"table": table, "version": item.json()["version"]}).raise_for_status()
        for action, user in [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")]:
            self.call("POST", f"/items/{item_id}/actions", user, json={"action": action}).raise_for_status()
        return item_id

    def approve(self, item_id: int) -> None:
        self.call("POST", f"/items/{item_id}/actions", "dan", json={"action": "approve"}).raise_for_status()

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        proc = psutil.Process(self.proc.pid)
        return sum(p.memory_info().rss for p in [proc] + proc.children(recursive=True)) / 2**20

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its workers."""
        proc = psutil.Process(self.proc.pid)
        times = [p.cpu_times() for p in [proc] + proc.children(recursive=True)]
        return sum(t.user + t.system for t in times)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
