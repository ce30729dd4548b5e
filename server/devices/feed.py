"""GET /feed (signed manifest, ETag/304, gzip) and GET /events (server-sent events that push
changes, carrying the new manifest when it is small: protocol version 2)."""
from __future__ import annotations

import json

from flask import Response, current_app, g, request
from sqlalchemy import select

from server import db
from server.screens.device_info import by_id
from server.screens.models import DeviceCommand
from server.devices import bp, require_device
from server.screens.device_feed import build_device_feed, content_state
from server.models import utcnow

HEARTBEAT_SECONDS = 15.0


def accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@bp.get("/feed")
def feed():
    """The device's manifest; 304 when its ETag still matches."""
    device = require_device()
    device_feed = build_device_feed(db.session(), device, g.mark)
    if request.if_none_match.contains(device_feed.tag):
        return Response(status=304, headers={"ETag": device_feed.etag})
    headers = {"ETag": device_feed.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if accepts_gzip():
        body = device_feed.gzipped_body()
        headers["Content-Encoding"] = "gzip"
    else:
        body = device_feed.body
    return Response(body, content_type="application/json; charset=utf-8", headers=headers)


def _event(name: str, data: dict | bytes, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    if isinstance(data, dict):
        data = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return f"{head}event: {name}\ndata: ".encode() + data + b"\n\n"


def _pending_commands(s, device_id: str) -> list[DeviceCommand]:
    rows = s.scalars(select(DeviceCommand).where(DeviceCommand.device_id == device_id,
                                                 DeviceCommand.sent_at.is_(None))
                     .order_by(DeviceCommand.id)).all()
    for row in rows:
        row.sent_at = utcnow()
    s.commit()
    return rows


@bp.get("/events")
def events():
    """Stream `feed` events when this device's manifest changes, and remote commands.

    The first `feed` event of a stream (on connect) names only the version: the screen catches up
    with GET /feed anyway. Later ones carry the signed manifest and the small pages and blobs the
    screen does not hold yet (it held what this stream last sent), so a listening screen needs no
    second request."""
    device = require_device()
    device_id = device.id
    last_id = request.headers.get("Last-Event-ID", "")
    app = current_app._get_current_object()
    bus = app.extensions["gongkai.bus"]
    sessions = app.extensions["gongkai.sessions"]

    if bus.mark < g.mark:
        bus.notify(g.mark)

    def stream():
        seen_tick, seen_mark, seen_commands = bus.tick, None, None
        sent_state, held = None, None
        sent_version = int(last_id) if last_id.isdigit() else None
        yield b"retry: 3000\n: connected\n\n"
        while True:
            if bus.mark != seen_mark or bus.commands != seen_commands:
                out = []   # written after the session is closed: a slow socket holds no connection
                with app.app_context(), sessions() as s:
                    mark = bus.mark
                    dev = by_id(s, device_id, mark.device_epoch)
                    if dev is None or dev.status != "active":
                        return
                    if mark != seen_mark:
                        seen_mark = mark
                        state = content_state(s, dev, mark.version)
                        if state != sent_state and (sent_state is not None or mark.version != sent_version):
                            current = build_device_feed(s, dev, mark)
                            data = (current.event_data(held) if held is not None
                                    else {"version": mark.version})
                            out.append(_event("feed", data, mark.version))
                            held = current.media
                        elif held is None:
                            held = build_device_feed(s, dev, mark).media
                        sent_state, sent_version = state, mark.version
                    if bus.commands != seen_commands:
                        seen_commands = bus.commands
                        out += [_event("command", {"name": cmd.name, "id": cmd.id})
                                for cmd in _pending_commands(s, device_id)]
                yield from out
            tick = bus.wait(seen_tick, HEARTBEAT_SECONDS)
            if tick == seen_tick:
                yield b": keep-alive\n\n"
            seen_tick = tick

    return Response(stream(), content_type="text/event-stream; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
