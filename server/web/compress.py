"""gzip for text responses (HTML, CSS, JavaScript, JSON, SVG, CSV, plain text) when the client accepts
it, so the embedded server (`demo`) and gunicorn without nginx send small pages too.

Never compressed: the device protocol and media (`devices` and `media` blueprints: the event stream
must not buffer, images and PDFs are compressed already, and the feed's encoding is the device
protocol's business), streamed responses, partial or empty ones, and anything under MIN_BYTES.
"""
from __future__ import annotations

import gzip

from flask import request

TYPES = frozenset({"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                   "image/svg+xml", "text/plain", "text/csv", "application/xml"})
SKIP_BLUEPRINTS = frozenset({"devices", "media"})
MIN_BYTES = 512
LEVEL = 6


def _wanted(response) -> bool:
    """A response of a compressible type on a route where it may be compressed?"""
    return (response.mimetype in TYPES and request.blueprint not in SKIP_BLUEPRINTS
            and response.status_code not in (204, 206, 304) and response.status_code >= 200
            and "Content-Encoding" not in response.headers and request.method != "HEAD")


def compress(response):
    if not _wanted(response):
        return response
    response.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] <= 0:
        return response
    if response.direct_passthrough:   # a static file: small, read it once
        if request.endpoint != "static":
            return response
        response.direct_passthrough = False
    elif response.is_streamed:
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)   # same meaning, different bytes
    return response


def init_app(app) -> None:
    app.after_request(compress)
