"""What devices send back: heartbeats, batches of plays / views / ratings, and screenshots."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify, request
from sqlalchemy import select

from content.model import in_years
from server import db
from server.screens.models import DeviceEvent, ReportBatch
from server.devices import bp, device_row, require_device
from server.models import utcnow
from server.disclosure.uploads import store_image
from server.validation import ServiceError

BATCH_TYPES = ("play", "view", "rating")
MAX_BATCHES = 50
MAX_RECORDS = 2000
HEALTH_FIELDS = ("app_version", "uptime", "free_disk", "last_error", "shown_etag", "stream", "content_time")


def _when(value) -> datetime | None:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None and in_years(when) else None


def _record(device_id: str, kind: str, rec: dict) -> DeviceEvent:
    duration = rec.get("duration")
    return DeviceEvent(device_id=device_id, type=kind,
                       item_id=rec.get("item") if isinstance(rec.get("item"), int) else None,
                       revision=rec.get("revision") if isinstance(rec.get("revision"), int) else None,
                       at=_when(rec.get("at") or rec.get("start")),
                       duration=float(duration) if isinstance(duration, (int, float)) else None,
                       data={k: v for k, v in rec.items() if k in ("rating", "reason", "category")
                             and isinstance(v, (str, int))})


def _batches(data: dict) -> list:
    batches = data.get("batches") or []
    if not isinstance(batches, list) or len(batches) > MAX_BATCHES:
        raise ServiceError(422, "invalid", {"batches": ("invalid", {})})
    for n, batch in enumerate(batches):
        ok = (isinstance(batch, dict) and isinstance(batch.get("id"), str) and 0 < len(batch["id"]) <= 64
              and batch.get("type") in BATCH_TYPES and isinstance(batch.get("records"), list)
              and len(batch["records"]) <= MAX_RECORDS
              and all(isinstance(r, dict) for r in batch["records"]))
        if not ok:
            raise ServiceError(422, "invalid", {f"batches[{n}]": ("invalid", {})})
    return batches


@bp.post("/devices/report")
def report():
    """Heartbeat plus batches; a batch id seen before is acknowledged but not counted again."""
    device = device_row(require_device())
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(400, "bad_json")
    batches = _batches(data)
    s = db.session()
    beat = data.get("heartbeat") if isinstance(data.get("heartbeat"), dict) else {}
    device.last_seen = utcnow()
    if isinstance(beat.get("shown_version"), int):
        device.shown_version = beat["shown_version"]
    device.health = {k: str(beat[k])[:300] for k in HEALTH_FIELDS if beat.get(k) is not None}
    device.health["address"] = (request.remote_addr or "")[:64]  # 屏幕管理 warns about a loopback QR address
    accepted, duplicates = [], []
    for batch in batches:
        seen = s.scalar(select(ReportBatch.id).where(ReportBatch.device_id == device.id,
                                                     ReportBatch.batch_id == batch["id"]))
        if seen:
            duplicates.append(batch["id"])
            continue
        s.add(ReportBatch(device_id=device.id, batch_id=batch["id"], type=batch["type"]))
        s.add_all(_record(device.id, batch["type"], r) for r in batch["records"])
        accepted.append(batch["id"])
    s.commit()
    return jsonify({"accepted": accepted, "duplicates": duplicates})


@bp.post("/devices/screenshot")
def upload_screenshot():
    """The PNG a screen took when asked; the admin UI shows the latest."""
    device = device_row(require_device())
    raw = request.files["file"].read() if "file" in request.files else request.get_data()
    meta = store_image(raw, current_app.config["MEDIA_DIR"], current_app.config["MAX_IMAGE_PIXELS"])
    device.screenshot_sha, device.screenshot_at = meta["sha256"], utcnow()
    db.session().commit()
    return jsonify({"sha256": meta["sha256"]}), 201
