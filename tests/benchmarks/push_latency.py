"""push_latency: N screens hold event streams; an item is approved; time until each screen holds the
verified new manifest. Real HTTP on loopback, gunicorn + gevent server, asyncio clients.

    .venv/bin/python tests/benchmarks/push_latency.py [N ...] [--workers=W] [--embedded]   (default 100 500 1000)
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from content.manifest import verify_manifest  # noqa: E402
from tests.benchmarks.harness import Server, percentile  # noqa: E402

TIMEOUT = 60.0


arrivals: list = []
approve_seconds: list = []   # how long each approve request took (its response comes after the commit)


class Conn:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams (httpx costs more CPU than the
    server under test on this 2-core machine)."""

    def __init__(self, port: int, token: str):
        self.port, self.auth = port, f"Authorization: Bearer {token}\r\n"

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def request(self, path: str, extra: str = "") -> tuple[int, dict, bytes]:
        if self.writer.is_closing() or self.reader.at_eof():
            await self.open()
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{self.auth}{extra}\r\n".encode())
        status, headers = await self.head()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
        if headers.get("connection", "").lower() == "close" or "content-length" not in headers:
            self.writer.close()
            await self.open()
        return status, headers, body

    async def head(self) -> tuple[int, dict]:
        status = int((await self.reader.readline()).split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers


async def screen(port: int, token: str, key: str, ready: asyncio.Event, counter: list, title: str,
                 started: list, results: list) -> None:
    """Hold the stream; after the publish, fetch and verify the manifest, record the delay."""
    events = await Conn(port, token).open()
    feeds = await Conn(port, token).open()
    events.writer.write(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n{events.auth}\r\n".encode())
    await events.head()
    etag, first = None, True
    while line := await events.reader.readline():
        if b"event: feed" not in line:
            continue
        if not first and started[0]:
            arrivals.append(time.perf_counter() - started[0])
        status, headers, body = await feeds.request("/api/v1/feed", f"If-None-Match: {etag}\r\n" if etag else "")
        if status == 200:
            manifest = json.loads(body)
            if not verify_manifest(manifest, key):
                raise RuntimeError("bad signature")
            etag = headers["etag"]
            if any(i["title"] == title for i in manifest["items"]):
                results.append(time.perf_counter())   # absolute; made relative after the round
                events.writer.close()
                feeds.writer.close()
                return
        if first:
            first = False
            counter[0] += 1
            if counter[0] == counter[1]:
                ready.set()


async def run_round(server: Server, devices: list, title: str) -> tuple[list, int]:
    ready, started, results = asyncio.Event(), [0.0], []
    counter = [0, len(devices)]
    tasks = [asyncio.create_task(screen(server.port, t, k, ready, counter, title, started, results))
             for _, t, k in devices]
    await asyncio.wait_for(ready.wait(), TIMEOUT)          # every screen is connected and current
    item_id = await asyncio.to_thread(server.draft_to_cleared, title)
    await asyncio.sleep(1.0)                               # let the draft's own events settle
    # measured from the moment the approve request is sent: the commit (and the push) happens
    # inside that request, and screens served by another process may have the item before it returns
    sent = time.perf_counter()
    started[0] = sent
    await asyncio.to_thread(server.approve, item_id)
    approve_seconds.append(time.perf_counter() - sent)
    _, pending = await asyncio.wait(tasks, timeout=TIMEOUT)
    for task in pending:
        task.cancel()
    return [t - sent for t in results], len(pending)


def main(sizes: list[int], workers: int = 1, embedded: bool = False) -> None:
    server = Server(workers=workers, embedded=embedded)
    try:
        devices = server.enrol(max(sizes))
        kind = "embedded werkzeug (threads)" if embedded else f"gunicorn + {workers} gevent worker(s)"
        print(f"push_latency: {kind}, loopback")
        for n in sizes:
            cpu_before, client_before = server.cpu_seconds(), time.process_time()
            results, missing = asyncio.run(run_round(server, devices[:n], f"推送基准 {n}"))
            cpu = server.cpu_seconds() - cpu_before
            client_cpu = time.process_time() - client_before
            rss = server.rss_mb()
            print(f"  events arrived p50={percentile(arrivals, 50)*1000:.1f} ms p99={percentile(arrivals, 99)*1000:.1f} ms")
            arrivals.clear()
            print(f"  N={n:5d}  p50={percentile(results, 50) * 1000:7.1f} ms  "
                  f"p99={percentile(results, 99) * 1000:7.1f} ms  max={max(results) * 1000:7.1f} ms  "
                  f"received={len(results)}/{n}  missing={missing}  server RSS={rss:.0f} MB  "
                  f"(from sending the approve request; it took {approve_seconds[-1] * 1000:.0f} ms)")
            print(f"           CPU during the round (connect + publish + fetch): server {cpu:.2f} s, "
                  f"simulated screens {client_cpu:.2f} s — both share this machine's 2 cores")
    finally:
        server.stop()


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    workers = next((int(f.split("=")[1]) for f in flags if f.startswith("--workers=")), 1)
    main([int(a) for a in sys.argv[1:] if not a.startswith("--")] or [100, 500, 1000], workers,
         "--embedded" in flags)
