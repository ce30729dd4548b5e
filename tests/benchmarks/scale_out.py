"""scale_out: 2 server processes (gunicorn + gevent) on PostgreSQL with N simulated screens holding
event streams: publish → verified manifest on every screen (p50/p99), and the staff pages' latency
(p95 of the work queue page and the items API) while that happens.

    .venv/bin/python tests/benchmarks/scale_out.py [N]      (default 1000)
"""
from __future__ import annotations

import asyncio
import os
import sys
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pgserver import TempPostgres  # noqa: E402
from tests.benchmarks.harness import Server, percentile  # noqa: E402
from tests.benchmarks.push_latency import (approve_seconds, arrivals, print_first_sync, publish_cpu,  # noqa: E402
                                           round_bytes, run_round)


async def staff_load(server: Server, stop: asyncio.Event, timings: list) -> None:
    """A reviewer refreshing the work queue (HTML, via a session) and the items API, back to back."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        page = await client.get("/admin/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        await client.post("/admin/login", data={"username": "bob", "password": "bench-password",
                                                "csrf_token": token})
        api_headers = {"Authorization": f"Bearer {server.tokens['bob']}"}
        while not stop.is_set():
            for path, headers in (("/admin/", {}), ("/api/v1/items?queue=1", api_headers)):
                started = time.perf_counter()
                resp = await client.get(path, headers=headers)
                resp.raise_for_status()
                timings.append((path, time.perf_counter() - started))
            await asyncio.sleep(0.05)


async def measured_round(server: Server, devices: list, title: str):
    stop, timings = asyncio.Event(), []
    staff = asyncio.create_task(staff_load(server, stop, timings))
    results, missing = await run_round(server, devices, title)
    stop.set()
    await staff
    return results, missing, timings


def main(n: int) -> None:
    pg = TempPostgres()
    try:
        pg.sql("CREATE DATABASE bench")
        server = Server(workers=2, database_url=pg.url("bench"))
        try:
            devices = server.enrol(n)
            results, missing, timings = asyncio.run(measured_round(server, devices, f"扩展基准 {n}"))
            cpu_before, client_before = publish_cpu[-1]
            cpu, client_cpu = server.cpu_seconds() - cpu_before, time.process_time() - client_before
            print(f"scale_out: PostgreSQL + gunicorn 2 gevent workers, {n} screens, loopback")
            print_first_sync()
            print(f"  publish → verified manifest (from sending the approve request): "
                  f"p50={percentile(results, 50) * 1000:.1f} ms  p99={percentile(results, 99) * 1000:.1f} ms  "
                  f"received={len(results)}/{n}  missing={missing}  "
                  f"(the approve request itself took {approve_seconds[-1] * 1000:.0f} ms)")
            print(f"  feed event arrived on the stream: p50={percentile(arrivals, 50) * 1000:.1f} ms  "
                  f"p99={percentile(arrivals, 99) * 1000:.1f} ms")
            print(f"  bytes per screen for the publish: p50={percentile(round_bytes, 50) / 1024:.1f} KiB")
            print(f"  CPU from the approve request to the last screen: server (2 workers) {cpu:.2f} s, simulated "
                  f"screens {client_cpu:.2f} s ({client_cpu / n * 1000:.2f} ms each; staff load included) — "
                  f"all on this machine's 2 cores")
            for path in ("/admin/", "/api/v1/items?queue=1"):
                values = [t for p, t in timings if p == path]
                print(f"  staff {path:<22} p95={percentile(values, 95) * 1000:.1f} ms  "
                      f"p50={percentile(values, 50) * 1000:.1f} ms  requests={len(values)}")
            print(f"  server RSS (2 workers + master) = {server.rss_mb():.0f} MB")
        finally:
            server.stop()
    finally:
        pg.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
