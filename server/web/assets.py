"""Static files under names that carry their content's hash, so a page always asks for the file it
was written against and browsers may keep it for a year; plus /favicon.ico and /robots.txt.

Templates keep writing `url_for('static', filename='admin.css')`: a `url_defaults` hook turns the
name into `admin.<hash>.css`, and the static view maps it back. A hashed name whose hash is not the
file's current one (a page from before a deploy) and a plain name are still served, but only
cached briefly, so nothing old is pinned for a year.
"""
from __future__ import annotations

import hashlib
import io
import os
import re

from flask import Response, abort, current_app, send_from_directory

YEAR = 365 * 24 * 3600
SHORT = 300
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
ROBOTS = "User-agent: *\nDisallow: /api/\nDisallow: /media/\n"
ICON_RED = (165, 20, 28)   # the pages' header colour (#a5141c)


def _hashes(app) -> dict[str, str]:
    """File name (relative to the static folder, with /) → the first 10 hex digits of its SHA-256."""
    found = app.extensions.get("gongkai.static_hashes")
    if found is None:
        found = {}
        root = app.static_folder
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()[:10]
                found[os.path.relpath(path, root).replace(os.sep, "/")] = digest
        app.extensions["gongkai.static_hashes"] = found
    return found


def hashed_name(filename: str) -> str:
    """`admin.css` → `admin.<hash>.css` for a file that exists; other names stay as they are."""
    digest = _hashes(current_app).get(filename)
    if digest is None:
        return filename
    stem, dot, ext = filename.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{filename}.{digest}"


def _add_hash(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values:
        values["filename"] = hashed_name(values["filename"])


def static_file(filename: str) -> Response:
    """A static file by its hashed name (cached for a year, immutable) or its plain name (briefly)."""
    hashes = _hashes(current_app)
    match = HASHED.match(filename)
    real = f"{match['stem']}{match['ext']}" if match and f"{match['stem']}{match['ext']}" in hashes else filename
    if real not in hashes:
        abort(404)
    current = bool(match) and hashes[real] == match["hash"]
    resp = send_from_directory(current_app.static_folder, real, max_age=YEAR if current else SHORT)
    if current:
        resp.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return resp


def favicon_ico() -> bytes:
    """The favicon as a 16/32/48 px ICO, drawn like static/favicon.svg: a white board on red."""
    from PIL import Image, ImageDraw
    size = 48
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([0, 0, size - 1, size - 1], radius=9, fill=ICON_RED)
    draw.rectangle([10, 11, 37, 36], fill="white")
    for y in (17, 23, 29):
        draw.rectangle([15, y, 32, y + 2], fill=ICON_RED)
    out = io.BytesIO()
    img.save(out, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def init_app(app) -> None:
    _hashes(app)
    app.url_defaults(_add_hash)
    app.view_functions["static"] = static_file
    icon = favicon_ico()

    @app.get("/favicon.ico")
    def favicon():
        """For browsers and tools that ask for /favicon.ico before reading the page's icon link."""
        return Response(icon, mimetype="image/x-icon", headers={"Cache-Control": f"public, max-age={86400}"})

    @app.get("/robots.txt")
    def robots():
        """Pages may be indexed; the JSON API and media may not."""
        return Response(ROBOTS, mimetype="text/plain", headers={"Cache-Control": f"public, max-age={86400}"})
