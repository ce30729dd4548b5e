"""GET /feed (signed manifest, ETag/304) and GET /events (server-sent events that push changes)."""
from __future__ import annotations

import json

from flask import Response, current_app, request
from sqlalchemy import select

from server import db
from server.device_models import Device, DeviceCommand
from server.devices import bp, require_device
from server.feed import build_device_feed
from server.keys import signing_key
from server.models import utcnow

HEARTBEAT_SECONDS = 15.0


@bp.get("/feed")
def feed():
    """The device's manifest; 304 when its ETag still matches."""
    device = require_device()
    device_feed = build_device_feed(db.session(), device)
    if request.if_none_match.contains(device_feed.tag):
        return Response(status=304, headers={"ETag": device_feed.etag})
    body = device_feed.signed_body(signing_key(current_app), utcnow())
    return Response(body, content_type="application/json; charset=utf-8",
                    headers={"ETag": device_feed.etag, "Cache-Control": "no-cache"})


def _event(name: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


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
    """Stream `feed` events when this device's manifest changes, and remote commands."""
    device = require_device()
    device_id = device.id
    last_id = request.headers.get("Last-Event-ID", "")
    app = current_app._get_current_object()
    bus = app.extensions["gongkai.bus"]
    sessions = app.extensions["gongkai.sessions"]

    def stream():
        seen_tick, seen_version, seen_commands = bus.tick, None, None
        sent_etag = None
        sent_version = int(last_id) if last_id.isdigit() else None
        yield "retry: 3000\n: connected\n\n"
        while True:
            if bus.version != seen_version or bus.commands != seen_commands:
                with app.app_context(), sessions() as s:
                    dev = s.get(Device, device_id)
                    if dev is None or dev.status != "active":
                        return
                    if bus.version != seen_version:
                        seen_version = bus.version
                        current = build_device_feed(s, dev)
                        if current.etag != sent_etag and (sent_etag is not None
                                                          or current.version != sent_version):
                            yield _event("feed", {"version": current.version}, current.version)
                        sent_etag, sent_version = current.etag, current.version
                    if bus.commands != seen_commands:
                        seen_commands = bus.commands
                        for cmd in _pending_commands(s, device_id):
                            yield _event("command", {"name": cmd.name, "id": cmd.id})
            tick = bus.wait(seen_tick, HEARTBEAT_SECONDS)
            if tick == seen_tick:
                yield ": keep-alive\n\n"
            seen_tick = tick

    return Response(stream(), content_type="text/event-stream; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
