"""idle_cost: bytes on the wire for a screen when nothing changes — per hour on the event stream,
and per no-change conditional poll of the feed. Real gunicorn + gevent server on loopback.

    .venv/bin/python tests/benchmarks/idle_cost.py [SECONDS]      (default 61: four heartbeats)
"""
from __future__ import annotations

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.benchmarks.harness import Server  # noqa: E402

TCP_IP_OVERHEAD = 52  # bytes of IPv4 + TCP headers (with timestamps) per segment, each way


def raw_exchange(port: int, request: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(next((l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), b"0"))
        while len(body) < length:
            body += sock.recv(65536)
        return len(request), head + b"\r\n\r\n" + body


def main(seconds: float) -> None:
    server = Server(workers=1)
    try:
        [(_, token, _)] = server.enrol(1)
        auth = f"Authorization: Bearer {token}\r\n"
        feed_req = f"GET /api/v1/feed HTTP/1.1\r\nHost: gongkai\r\n{auth}\r\n".encode()
        _, first = raw_exchange(server.port, feed_req)
        etag = next(l.split(b":", 1)[1].strip() for l in first.split(b"\r\n") if l.lower().startswith(b"etag"))
        poll_req = feed_req[:-2] + b"If-None-Match: " + etag + b"\r\n\r\n"
        sent, answer = raw_exchange(server.port, poll_req)
        status = answer.split(b"\r\n", 1)[0].decode()
        print(f"idle_cost: no-change poll: request {sent} B + response {len(answer)} B = {sent + len(answer)} B "
              f"of HTTP ({status}); with TCP/IP headers ≈ {sent + len(answer) + 4 * TCP_IP_OVERHEAD} B "
              f"(plus the connection set-up if not kept alive)")
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: gongkai\r\n{auth}\r\n".encode())
            sock.settimeout(1.0)
            received, segments, start = b"", 0, time.monotonic()
            while time.monotonic() - start < seconds:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                received += chunk
                segments += 1
        head, _, body = received.partition(b"\r\n\r\n")
        per_hour = len(body) / seconds * 3600
        wire = (len(body) + segments * 2 * TCP_IP_OVERHEAD) / seconds * 3600
        print(f"idle_cost: event stream over {seconds:.0f} s: {len(body)} B after the headers in {segments} "
              f"segments → {per_hour:.0f} B/hour of HTTP, ≈ {wire:.0f} B/hour on the wire with TCP/IP "
              f"headers and ACKs ({wire / 1024:.1f} KiB/hour)")
    finally:
        server.stop()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 61.0)
