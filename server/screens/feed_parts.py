"""The content-addressed parts of a feed (protocol version 2, content/feedpages.py): a revision's
table and long body as blobs, memoised per revision; a screen's items as pages; every file a
screen may then fetch, written to the feed folder if missing.

A 20,000-row table is serialised, hashed and gzipped once per revision and process, not once per
version: publishing a notice beside it costs its page, not the table.
"""
from __future__ import annotations

from content.feedpages import LONG_BODY, body_blob, catalog_blob, page_blobs, table_blob
from content.manifest import canonical_json
from server.models import Revision
from server.screens import feed_blobs
from server.screens.lru import app_lru

REVISION_CACHE_SIZE = 4096
KEEP_IN_MEMORY = 16 * 1024     # blobs this small stay in memory, so an event can carry them
PAGE_TYPE = "application/json"
TYPES = {"table_blob": "application/json", "body_blob": "text/markdown; charset=utf-8"}


def _blob_data(rev: Revision, field: str) -> bytes:
    return table_blob(rev.table)[0] if field == "table_blob" else body_blob(rev.body)[0]


def _revision_blobs(rev: Revision) -> dict[str, tuple[dict, bytes | None]]:
    """field → (reference, bytes if small) for the revision's table and long body."""
    if not isinstance(rev.table, dict) and len(rev.body or "") <= LONG_BODY:
        return {}

    def build():
        out = {}
        if isinstance(rev.table, dict):
            data, ref = table_blob(rev.table)
            out["table_blob"] = (ref, data)
        if len(rev.body or "") > LONG_BODY:
            data, ref = body_blob(rev.body)
            out["body_blob"] = (ref, data)
        for field, (ref, data) in out.items():
            feed_blobs.store(ref["sha256"], data)
            out[field] = (ref, data if len(data) <= KEEP_IN_MEMORY else None)
        return out
    key = (rev.id, rev.edit_version, rev.updated_at)
    return app_lru("feed_revision_blobs", REVISION_CACHE_SIZE).get_or_build(key, build)


def blob_fields(rev: Revision) -> dict:
    """The item fields for the revision's body and table: inline when short, else blob references."""
    blobs = _revision_blobs(rev)
    out = {field: ref for field, (ref, _) in blobs.items()}
    if "body_blob" not in out:
        out["body"] = rev.body
    if rev.table and "table_blob" not in out:
        out["table"] = rev.table
    return out


def pack(items: list[dict], revs: list[Revision], catalog: list[dict]) -> dict:
    """The shared, per-screen-kind parts built from `items` (the revisions `revs`) and the catalog:
    the manifest's `item_pages` and `catalog_blob` bytes, what screens may fetch, and the small
    files events may carry inline."""
    refs, pages = page_blobs(items)
    catalog_data, catalog_ref = catalog_blob(catalog)
    pages_and_catalog = {**pages, catalog_ref["sha256"]: catalog_data}
    types = {sha: PAGE_TYPE for sha in pages_and_catalog}
    inline = dict(pages_and_catalog)
    for sha, data in pages_and_catalog.items():
        feed_blobs.store(sha, data)
    for rev in revs:
        for field, (ref, data) in _revision_blobs(rev).items():
            sha = ref["sha256"]
            types[sha] = TYPES[field]
            if data is not None:
                inline[sha] = data
            if not feed_blobs.exists(sha):   # swept or lost: the revision still has the content
                feed_blobs.store(sha, data if data is not None else _blob_data(rev, field))
    media = frozenset(m["sha256"] for item in items for m in item["media"])
    return {"item_pages": canonical_json(refs), "catalog_blob": canonical_json(catalog_ref),
            "media": media, "blob_types": types,
            "inline": inline, "inline_order": [catalog_ref["sha256"]] + [s for s in inline if s != catalog_ref["sha256"]],
            "fetchable": media | frozenset(types)}

