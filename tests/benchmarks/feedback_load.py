"""feedback_load: phone feedback submissions at a fixed rate against one server process (gunicorn +
gevent, SQLite WAL) on loopback. Every tenth submission is sent twice with the same idempotency key,
like a double tap. Afterwards the database must hold exactly one row per accepted key: zero lost,
zero duplicated.

    .venv/bin/python tests/benchmarks/feedback_load.py [RATE] [SECONDS]   (default 200 per s, 60 s)

The per-client rate limit is switched off for the run (GONGKAI_PUBLIC_RATE_LIMIT=0), since every
request comes from 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import os
import re
import secrets
import sqlite3
import sys
import time

from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.benchmarks.harness import Server, percentile  # noqa: E402

CODE = re.compile(rb"FK-\d{4}-[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}")
KINDS = ("suggestion", "complaint", "praise", "question")


def add_point(db_path: str) -> None:
    with sqlite3.connect(db_path, timeout=30) as conn:
        conn.execute("INSERT INTO feedback_point (unit_id, code, name, created_at) "
                     "VALUES ((SELECT min(id) FROM unit), 'BENCH', '基准测试', datetime('now'))")


def _request(n: int, key: str) -> bytes:
    body = urlencode({"k": key, "kind": KINDS[n % 4], "text": f"第 {n} 条留言：候诊时间太长，希望改进。",
                      "phone": "13800138000" if n % 3 == 0 else ""}).encode()
    return (b"POST /f/BENCH HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def _read(reader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return status, await reader.readexactly(length)


async def _worker(port: int, queue: asyncio.Queue, out: dict) -> None:
    """One keep-alive connection sending queued submissions one after another (raw HTTP/1.1:
    a Python HTTP client library would cost more CPU than the server being measured)."""
    reader = writer = None
    while True:
        job = await queue.get()
        if job is None:
            break
        n, key, scheduled = job
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_request(n, key))
            status, body = await _read(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            out["errors"].append(type(exc).__name__)
            writer = None
            continue
        out["latency"].append(time.perf_counter() - scheduled)
        match = CODE.search(body) if status == 200 else None
        if match is None:
            out["refused"].append(status)
        else:
            out["accepted"].setdefault(key, set()).add(match.group(0).decode())
    if writer is not None:
        writer.close()


async def _drive(port: int, rate: float, seconds: float, connections: int = 64) -> dict:
    """Open loop: submissions are queued at the target rate whatever the answers' speed; latency
    counts from the scheduled moment, so a server that falls behind shows it."""
    out = {"accepted": {}, "refused": [], "errors": [], "latency": [], "sent": 0}
    queue: asyncio.Queue = asyncio.Queue()
    workers = [asyncio.create_task(_worker(port, queue, out)) for _ in range(connections)]
    start, n = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        while n < int(elapsed * rate) + 1:
            key, now = secrets.token_urlsafe(18), time.perf_counter()
            queue.put_nowait((n, key, now))
            out["sent"] += 1
            if n % 10 == 0:
                queue.put_nowait((n, key, now))
                out["sent"] += 1
            n += 1
        await asyncio.sleep(0.002)
    out["send_seconds"] = time.perf_counter() - start
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    out["wall"] = time.perf_counter() - start
    return out


def main(rate: float = 200, seconds: float = 60) -> dict:
    os.environ["GONGKAI_PUBLIC_RATE_LIMIT"] = "0"
    server = Server(workers=1)
    try:
        db_path = os.path.join(server.instance, "gongkai.db")
        add_point(db_path)
        cpu0 = server.cpu_seconds()
        out = asyncio.run(_drive(server.port, rate, seconds))
        cpu = server.cpu_seconds() - cpu0
        with sqlite3.connect(db_path, timeout=30) as conn:
            rows = conn.execute("SELECT count(*), count(DISTINCT code), count(DISTINCT idem_key) "
                                "FROM feedback").fetchone()
    finally:
        server.stop()
        os.environ.pop("GONGKAI_PUBLIC_RATE_LIMIT", None)
    accepted = out["accepted"]
    codes_per_key = [len(v) for v in accepted.values()]
    lost = len(accepted) - rows[0] if rows[0] < len(accepted) else 0
    duplicated = rows[0] - rows[2] + sum(c - 1 for c in codes_per_key)
    lat = out["latency"]
    print(f"feedback_load: target {rate:.0f}/s for {seconds:.0f} s; sent {out['sent']} requests "
          f"({len(accepted)} distinct keys, every tenth sent twice) in {out['send_seconds']:.1f} s, "
          f"all answered after {out['wall']:.1f} s")
    print(f"feedback_load: accepted keys={len(accepted)} refused={len(out['refused'])} "
          f"errors={len(out['errors'])} → achieved {len(accepted) / out['wall']:.0f} stored/s")
    print(f"feedback_load: db rows={rows[0]} distinct codes={rows[1]} distinct keys={rows[2]} "
          f"lost={lost} duplicated={duplicated} count_matches={rows[0] == len(accepted)}")
    print(f"feedback_load: latency p50={percentile(lat, 50) * 1000:.0f} ms p95={percentile(lat, 95) * 1000:.0f} ms "
          f"p99={percentile(lat, 99) * 1000:.0f} ms max={max(lat, default=0) * 1000:.0f} ms; "
          f"server CPU {cpu:.1f} s ({cpu / out['wall'] * 100:.0f} % of one core)")
    return {"accepted": len(accepted), "rows": rows[0], "lost": lost, "duplicated": duplicated,
            "refused": len(out["refused"]), "errors": len(out["errors"])}


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:3]))
