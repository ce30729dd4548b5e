"""GET /media/<sha256>: the exact stored bytes, for staff of the owning unit or a device whose feed
references them (media, and the feed's own pages and blobs: protocol version 2); immutable,
because the name is the content's hash. Pages and blobs go gzip-encoded to clients that accept it
(their .gz copy; behind nginx, gzip_static does the same)."""
from __future__ import annotations

import os
import re

from flask import Blueprint, Response, abort, current_app, g, request, send_file, session
from sqlalchemy import select

from server import db
from server.auth import load_user, roles_in
from server.models import Attachment, Unit

bp = Blueprint("media", __name__, url_prefix="/media")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMMUTABLE = "private, max-age=31536000, immutable"   # access-controlled: no shared caches


def _device_feed():
    """The calling device's current feed, or None for anything but an active device's token."""
    from server.devices import require_device
    from server.screens.device_feed import build_device_feed
    from server.validation import ServiceError
    try:
        device = require_device()
    except ServiceError:
        return None
    return build_device_feed(db.session(), device, g.mark)


def _staff_may_fetch(sha: str) -> bool:
    s = db.session()
    user = load_user(s, request, session)
    if user is None:
        return False
    atts = s.scalars(select(Attachment).where(Attachment.sha256 == sha)).all()
    if any(roles_in(user, a.revision.item.unit) for a in atts):
        return True
    from server.screens.branding import logo_shas    # a unit's logo: its staff (the branding page)
    units = s.scalars(select(Unit).where(Unit.id.in_({grant.unit_id for grant in user.grants}))).all()
    return sha in logo_shas(units)


def _feed_file(sha: str, mime: str) -> Response:
    """A page or blob of the device's feed; written again first if it went missing (the sweep)."""
    from server.screens import feed_blobs
    from server.screens.device_feed import restore_files
    if not feed_blobs.exists(sha):
        restore_files(db.session(), g.device, g.mark.version)
        if not feed_blobs.exists(sha):
            abort(404)
    if current_app.config.get("MEDIA_X_ACCEL"):
        return Response(headers={"X-Accel-Redirect": current_app.config["MEDIA_X_ACCEL"] + feed_blobs.FOLDER
                                 + "/" + sha, "Content-Type": mime})
    gz = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    resp = send_file(feed_blobs.path(sha) + (".gz" if gz else ""), mimetype=mime, conditional=True,
                     etag=sha + ("-gz" if gz else ""))
    if gz:
        resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Vary"] = "Accept-Encoding"
    resp.headers["Cache-Control"] = IMMUTABLE
    return resp


def _logo_type(sha: str) -> str | None:
    """The content type of a unit's logo (not an attachment, so mime_of does not know it)."""
    for logo in db.session().scalars(select(Unit.logo).where(Unit.logo.is_not(None))):
        if isinstance(logo, dict) and logo.get("sha256") == sha:
            return logo.get("type")
    return None


@bp.get("/<sha>")
def get(sha: str):
    """The bytes whose SHA-256 is `sha`, if the caller may see them."""
    if not SHA256.match(sha):
        abort(404)
    if not request.headers.get("Authorization") and "user_id" not in session:
        abort(401)
    staff = _staff_may_fetch(sha)
    feed = None if staff else _device_feed()
    if feed is not None and sha in feed.blob_types:
        return _feed_file(sha, feed.blob_types[sha])
    if not staff and (feed is None or sha not in feed.media):
        abort(404)
    from server.screens.variants import mime_of
    path = os.path.join(current_app.config["MEDIA_DIR"], sha)
    if not os.path.exists(path):
        abort(404)
    mime = mime_of(db.session(), sha) or _logo_type(sha) or "application/octet-stream"
    if current_app.config.get("MEDIA_X_ACCEL"):
        return Response(headers={"X-Accel-Redirect": current_app.config["MEDIA_X_ACCEL"] + sha,
                                 "Content-Type": mime})
    resp = send_file(path, mimetype=mime, max_age=31536000, conditional=True)
    resp.headers["Cache-Control"] = IMMUTABLE
    return resp
