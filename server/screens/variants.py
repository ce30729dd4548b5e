"""Images pre-scaled for a screen: fit inside it (never stretched, never enlarged), stored by hash."""
from __future__ import annotations

import hashlib
import io
import os

from flask import current_app
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.screens.models import MediaVariant
from server.models import Attachment
from server.disclosure.uploads import encode, write_media


def _scaled(data: bytes, mime: str, box: tuple[int, int]) -> tuple[bytes, int, int]:
    image = Image.open(io.BytesIO(data))
    image.thumbnail(box, Image.Resampling.LANCZOS)
    return encode(image, mime, quality=88), image.width, image.height


def variant_for(s: Session, att: Attachment, screen: tuple[int, int]) -> dict:
    """The manifest's media entry for `att` on a screen of this size, scaling it the first time."""
    w, h = screen
    row = s.scalar(select(MediaVariant).where(MediaVariant.source_sha == att.sha256,
                                              MediaVariant.max_w == w, MediaVariant.max_h == h))
    if row is None:
        if att.width <= w and att.height <= h:
            row = MediaVariant(source_sha=att.sha256, max_w=w, max_h=h, sha256=att.sha256,
                               mime=att.mime, width=att.width, height=att.height, size=att.size)
        else:
            media_dir = current_app.config["MEDIA_DIR"]
            with open(os.path.join(media_dir, att.sha256), "rb") as fh:
                data, vw, vh = _scaled(fh.read(), att.mime, (w, h))

            sha = hashlib.sha256(data).hexdigest()
            write_media(media_dir, sha, data)
            row = MediaVariant(source_sha=att.sha256, max_w=w, max_h=h, sha256=sha, mime=att.mime,
                               width=vw, height=vh, size=len(data))
        s.add(row)
        s.flush()
    return {"sha256": row.sha256, "type": row.mime, "w": row.width, "h": row.height, "bytes": row.size}


def mime_of(s: Session, sha: str) -> str | None:
    """The type of a stored original or variant."""
    att = s.scalar(select(Attachment.mime).where(Attachment.sha256 == sha).limit(1))
    return att or s.scalar(select(MediaVariant.mime).where(MediaVariant.sha256 == sha).limit(1))
