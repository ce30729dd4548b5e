"""Media by SHA-256: staff may fetch attachments now; devices get `/media/<sha256>` with the feed."""
from __future__ import annotations

import os
import re

from flask import Blueprint, abort, current_app, request, send_file, session
from sqlalchemy import select

from server import db
from server.auth import load_user, roles_in
from server.models import Attachment

bp = Blueprint("media", __name__, url_prefix="/media")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@bp.get("/<sha>")
def get(sha: str):
    """The exact stored bytes, for staff of the unit (devices get their own access with the feed)."""
    if not SHA256.match(sha):
        abort(404)
    s = db.session()
    user = load_user(s, request, session)
    if user is None:
        abort(401)
    atts = s.scalars(select(Attachment).where(Attachment.sha256 == sha)).all()
    att = next((a for a in atts if roles_in(user, a.revision.item.unit)), None)
    path = os.path.join(current_app.config["MEDIA_DIR"], sha)
    if att is None or not os.path.exists(path):
        abort(404)
    resp = send_file(path, mimetype=att.mime, max_age=31536000)
    resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return resp
