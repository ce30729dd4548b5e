"""push_latency: N screens hold event streams; an item is approved; time until each screen holds the
verified new manifest (protocol version 2: signature checked, every new page hash-checked, the new
item read from its page). Real HTTP on loopback, gunicorn + gevent server, asyncio clients.

    .venv/bin/python tests/benchmarks/push_latency.py [N ...] [--workers=W] [--embedded] [--table=ROWS]
        (default 100 500 1000; --table publishes a ROWS-row price table first, so it is live)

The simulated screens run in this one process on the same 2 cores as the server: their CPU (JSON,
Ed25519 verification, SHA-256 of every file, gzip) is printed beside the server's, and the time
it takes counts in the latency — a real screen has a CPU of its own.
"""
from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from content.manifest import canonical_json, verify_device, verify_shared  # noqa: E402
from tests.benchmarks.harness import Server, percentile  # noqa: E402

TIMEOUT = float(os.environ.get("PUSH_LATENCY_TIMEOUT", "120"))   # seconds; N=5000 needs more


arrivals: list = []
approve_seconds: list = []   # how long each approve request took (its response comes after the commit)
round_bytes: list = []       # per screen: bytes received during the round (event + any fetches)
first_syncs: list = []       # per screen: (bytes, seconds) of its first full sync
publish_cpu: list = []       # (server CPU s, simulated screens' CPU s) when the approve request is sent


class Conn:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams (httpx costs more CPU than the
    server under test on this 2-core machine); counts the bytes it receives."""

    def __init__(self, port: int, token: str):
        self.port, self.auth = port, f"Authorization: Bearer {token}\r\n"
        self.received = 0
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def readline(self) -> bytes:
        line = await self.reader.readline()
        self.received += len(line)
        return line

    async def readexactly(self, n: int) -> bytes:
        data = await self.reader.readexactly(n)
        self.received += n
        return data

    async def request(self, path: str, extra: str = "") -> tuple[int, dict, bytes]:
        """GET with gzip accepted; the body comes back decoded."""
        if self.writer is None or self.writer.is_closing() or self.reader.at_eof():
            await self.open()
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n{self.auth}{extra}\r\n".encode())
        status, headers = await self.head()
        if "content-length" in headers:
            body = await self.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
            self.received += len(body)
        if headers.get("connection", "").lower() == "close" or "content-length" not in headers:
            self.writer.close()
            await self.open()
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return status, headers, body

    async def head(self) -> tuple[int, dict]:
        status = int((await self.readline()).split()[1])
        headers = {}
        while (line := await self.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers


class SimScreen:
    """What a screen does with the feed, minus the disk and the display: verify the manifest with
    the pinned key, take the pages and blobs it lacks (from the event, else GET /media), check each
    hash, read the new pages."""

    def __init__(self, port: int, token: str, key: str):
        self.key, self.held, self.items = key, set(), {}
        self.device_checked = None
        self.events, self.files = Conn(port, token), Conn(port, token)
        self.etag = None

    async def fetch_manifest(self) -> dict | None:
        status, headers, body = await self.files.request(
            "/api/v1/feed", f"If-None-Match: {self.etag}\r\n" if self.etag else "")
        if status == 304:
            return None
        self.etag = headers["etag"]
        return json.loads(body)

    async def take(self, sha: str, size: int, inline: dict) -> bytes:
        data = inline[sha].encode("utf-8") if sha in inline else None
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            status, _, data = await self.files.request(f"/media/{sha}")
            if status != 200:
                raise RuntimeError(f"/media/{sha[:12]}: HTTP {status}")
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            raise RuntimeError("a file does not match its hash")
        self.held.add(sha)
        return data

    async def apply(self, manifest: dict, inline: dict) -> None:
        """As screen.feedsync does: the shared part's signature every time, the device block's once
        per distinct block (with its scope)."""
        if not verify_shared(manifest, self.key) or manifest.get("protocol") != 2:
            raise RuntimeError("bad signature")
        seen = canonical_json([manifest["device"], manifest["device_signature"], manifest["scope"]])
        if seen != self.device_checked:
            if not verify_device(manifest, self.key):
                raise RuntimeError("bad device signature")
            self.device_checked = seen
        for ref in manifest["item_pages"]:
            if ref["sha256"] in self.held:
                continue
            for item in json.loads(await self.take(ref["sha256"], ref["bytes"], inline)):
                self.items[item["id"]] = item
                for field in ("table_blob", "body_blob"):
                    if field in item and item[field]["sha256"] not in self.held:
                        await self.take(item[field]["sha256"], item[field]["bytes"], inline)


async def screen(sim: SimScreen, ready: asyncio.Event, counter: list, title: str, started: list,
                 results: list) -> None:
    """Hold the stream; the first `feed` event triggers the first full sync; after the publish,
    apply the manifest the event carries (or fetch it), record when the new item is there."""
    await sim.events.open()
    sim.events.writer.write(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n{sim.events.auth}\r\n".encode())
    await sim.events.head()
    first = True
    while line := await sim.events.readline():
        if not line.startswith(b"data: "):
            continue
        if first:
            t0, b0 = time.perf_counter(), sim.files.received
            await sim.apply(await sim.fetch_manifest(), {})
            first_syncs.append((sim.files.received - b0, time.perf_counter() - t0))
            sim.files.writer.close()          # opened again only if an event leaves something to fetch
            first = False
            counter[0] += 1
            if counter[0] == counter[1]:
                ready.set()
            continue
        if not started[0]:
            continue
        arrivals.append(time.perf_counter() - started[0])
        data = json.loads(line[6:])
        manifest = data.get("manifest") or await sim.fetch_manifest()
        if manifest is not None:
            await sim.apply(manifest, data.get("blobs") or {})
        if any(i["title"] == title for i in sim.items.values()):
            results.append(time.perf_counter())   # absolute; made relative after the round
            round_bytes.append(sim.events.received + sim.files.received - started[1][id(sim)])
            sim.events.writer.close()
            if sim.files.writer is not None:
                sim.files.writer.close()
            return


async def run_round(server: Server, devices: list, title: str) -> tuple[list, int]:
    ready, started, results = asyncio.Event(), [0.0, {}], []
    counter = [0, len(devices)]
    sims = [SimScreen(server.port, t, k) for _, t, k in devices]
    tasks = [asyncio.create_task(screen(sim, ready, counter, title, started, results)) for sim in sims]
    await asyncio.wait_for(ready.wait(), TIMEOUT)          # every screen is connected and current
    item_id = await asyncio.to_thread(server.draft_to_cleared, title)
    await asyncio.sleep(1.0)                               # let the draft's own events settle
    started[1] = {id(sim): sim.events.received + sim.files.received for sim in sims}
    # measured from the moment the approve request is sent: the commit (and the push) happens
    # inside that request, and screens served by another process may have the item before it returns
    publish_cpu.append((server.cpu_seconds(), time.process_time()))
    sent = time.perf_counter()
    started[0] = sent
    await asyncio.to_thread(server.approve, item_id)
    approve_seconds.append(time.perf_counter() - sent)
    _, pending = await asyncio.wait(tasks, timeout=TIMEOUT)
    for task in pending:
        task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()
    return [t - sent for t in results], len(pending)


def print_first_sync() -> None:
    if first_syncs:
        sizes = [b for b, _ in first_syncs]
        times = [s for _, s in first_syncs]
        print(f"  first sync per screen (GET /feed + every page and blob, gzip): "
              f"{percentile(sizes, 50) / 1024:.1f} KiB, p50 {percentile(times, 50) * 1000:.0f} ms "
              f"(screens syncing at the same time: {len(first_syncs)})")
        first_syncs.clear()


def main(sizes: list[int], workers: int = 1, embedded: bool = False, table_rows: int = 0) -> None:
    server = Server(workers=workers, embedded=embedded)
    try:
        if table_rows:
            server.publish_table(table_rows)
        devices = server.enrol(max(sizes))
        kind = "embedded werkzeug (threads)" if embedded else f"gunicorn + {workers} gevent worker(s)"
        live = f", a {table_rows}-row table live" if table_rows else ""
        print(f"push_latency: {kind}, SQLite, loopback{live}")
        for n in sizes:
            results, missing = asyncio.run(run_round(server, devices[:n], f"推送基准 {n}"))
            cpu_before, client_before = publish_cpu[-1]
            cpu = server.cpu_seconds() - cpu_before
            client_cpu = time.process_time() - client_before
            rss = server.rss_mb()
            print_first_sync()
            print(f"  events arrived p50={percentile(arrivals, 50)*1000:.1f} ms p99={percentile(arrivals, 99)*1000:.1f} ms")
            arrivals.clear()
            print(f"  N={n:5d}  p50={percentile(results, 50) * 1000:7.1f} ms  "
                  f"p99={percentile(results, 99) * 1000:7.1f} ms  max={max(results) * 1000:7.1f} ms  "
                  f"received={len(results)}/{n}  missing={missing}  server RSS={rss:.0f} MB  "
                  f"(from sending the approve request; it took {approve_seconds[-1] * 1000:.0f} ms)")
            print(f"           bytes per screen for the publish: p50={percentile(round_bytes, 50) / 1024:.1f} KiB "
                  f"max={max(round_bytes) / 1024:.1f} KiB (event + any fetches, HTTP headers included)")
            round_bytes.clear()
            print(f"           CPU from the approve request to the last screen: server {cpu:.2f} s, "
                  f"simulated screens {client_cpu:.2f} s ({client_cpu / n * 1000:.2f} ms each) — "
                  f"both on this machine's 2 cores")
    finally:
        server.stop()


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    workers = next((int(f.split("=")[1]) for f in flags if f.startswith("--workers=")), 1)
    rows = next((int(f.split("=")[1]) for f in flags if f.startswith("--table=")), 0)
    main([int(a) for a in sys.argv[1:] if not a.startswith("--")] or [100, 500, 1000], workers,
         "--embedded" in flags, rows)
