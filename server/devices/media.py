"""GET /media/<sha256>: the exact stored bytes, for staff of the owning unit or a device whose feed
references them; immutable, because the name is the content's hash."""
from __future__ import annotations

import os
import re

from flask import Blueprint, Response, abort, current_app, g, request, send_file, session
from sqlalchemy import select

from server import db
from server.auth import load_user, roles_in
from server.models import Attachment

bp = Blueprint("media", __name__, url_prefix="/media")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _device_may_fetch(sha: str) -> bool:
    from server.devices import require_device
    from server.screens.device_feed import build_device_feed
    from server.validation import ServiceError
    try:
        device = require_device()
    except ServiceError:
        return False
    return sha in build_device_feed(db.session(), device, g.mark).media


def _staff_may_fetch(sha: str) -> bool:
    s = db.session()
    user = load_user(s, request, session)
    if user is None:
        return False
    atts = s.scalars(select(Attachment).where(Attachment.sha256 == sha)).all()
    return any(roles_in(user, a.revision.item.unit) for a in atts)


@bp.get("/<sha>")
def get(sha: str):
    """The bytes whose SHA-256 is `sha`, if the caller may see them."""
    if not SHA256.match(sha):
        abort(404)
    if not request.headers.get("Authorization") and "user_id" not in session:
        abort(401)
    if not (_staff_may_fetch(sha) or _device_may_fetch(sha)):
        abort(404)
    from server.screens.variants import mime_of
    path = os.path.join(current_app.config["MEDIA_DIR"], sha)
    if not os.path.exists(path):
        abort(404)
    mime = mime_of(db.session(), sha) or "application/octet-stream"
    if current_app.config.get("MEDIA_X_ACCEL"):
        return Response(headers={"X-Accel-Redirect": current_app.config["MEDIA_X_ACCEL"] + sha,
                                 "Content-Type": mime})
    resp = send_file(path, mimetype=mime, max_age=31536000, conditional=True)
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"   # access-controlled: no shared caches
    return resp
