"""A screen's reading of the version 2 feed for server-side tests: the signed manifest from
GET /api/v1/feed, every page and blob from GET /media/<sha256> (hash-checked), hydrated the way
screen.sync hands it to the apps (content.feedpages.hydrate)."""
from __future__ import annotations

import gzip
import hashlib
import json

from content.feedpages import hydrate
from content.manifest import verify_manifest


def signed_manifest(get, public_key: str) -> dict:
    """`get(path, headers) -> response` of a Flask test client with the device's token."""
    resp = get("/api/v1/feed", {})
    assert resp.status_code == 200, resp.status_code
    manifest = json.loads(resp.data)
    assert verify_manifest(manifest, public_key)
    assert manifest["protocol"] == 2 and "items" not in manifest
    return manifest


def reader(get):
    """read(sha256) -> bytes over GET /media, asking for gzip and checking the hash."""
    def read(sha: str) -> bytes:
        resp = get(f"/media/{sha}", {"Accept-Encoding": "gzip"})
        assert resp.status_code == 200, (sha, resp.status_code)
        data = resp.data
        if resp.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        assert hashlib.sha256(data).hexdigest() == sha
        return data
    return read


def hydrated_manifest(get, public_key: str) -> dict:
    return hydrate(signed_manifest(get, public_key), reader(get))
