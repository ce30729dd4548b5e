"""Feed protocol version 2: the signed manifest stays small, the bulk travels as content-addressed
blobs (docs/architecture.md, device protocol).

Why: with every item inline, one short notice cost every screen the whole feed again (a
20,000-row price table, 5,000 items: megabytes per screen per publish). In version 2 the manifest
lists `item_pages` — each page a canonical-JSON blob of up to PAGE_SIZE items, grouped by item id,
named by its SHA-256 — and `catalog_blob`, the catalog (rarely changed, yet most of a small
hospital's manifest); inside a page a table or a long body is itself a blob reference
(`table_blob`, `body_blob`). Publishing one notice changes one page and the small manifest; the
one signature still covers everything, because the manifest names every page by hash and every
page names its blobs by hash.

Pages hold nothing per screen: the feedback link is rebuilt on the screen from
`device.feedback_base`, so screens of the same audiences and size share identical pages.

Pure and used on both sides: the server packs (`page_blobs`, `table_blob`, `body_blob`), the
screens unpack (`hydrate`), and `pack` turns a whole version-1-shaped manifest into version 2 (for
test fixtures; `hydrate(pack(m))` gives `m` back).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Callable

from content.manifest import branding_logo, canonical_json, is_sha256, media_sizes, parse_time

__all__ = ["LONG_BODY", "PAGE_SIZE", "PROTOCOL", "BadFeed", "blob_ref", "blob_refs", "body_blob",
           "catalog_blob", "catalog_ref", "content_refs", "display_order", "hydrate", "pack", "page_blobs", "page_items", "page_refs", "sha256",
           "table_blob"]

PROTOCOL = 2
PAGE_SIZE = 64          # items per page: one page changes per publish, ~80 pages for 5,000 items
LONG_BODY = 2000        # characters; a longer body travels as its own blob
_BLOB_KEYS = ("table_blob", "body_blob")


class BadFeed(ValueError):
    """A manifest, page or blob that does not have the shape version 2 promises."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_ref(data: bytes, **extra) -> dict:
    """The reference a manifest or page holds for `data`: its hash and size (uncompressed)."""
    return {"sha256": sha256(data), "bytes": len(data), **extra}


def table_blob(table: dict) -> tuple[bytes, dict]:
    """A table as a blob (canonical JSON of {"columns", "rows"}) and its `table_blob` reference."""
    data = canonical_json(table)
    rows, columns = table.get("rows"), table.get("columns")
    return data, blob_ref(data, rows=len(rows) if isinstance(rows, list) else 0,
                          columns=columns if isinstance(columns, list) else [])


def body_blob(body: str) -> tuple[bytes, dict]:
    """A long body as a blob (its UTF-8 text) and its `body_blob` reference."""
    data = body.encode("utf-8")
    return data, blob_ref(data)


def _id(item: dict) -> int:
    item_id = item.get("id")
    return item_id if isinstance(item_id, int) and not isinstance(item_id, bool) else -1


def page_key(item: dict) -> int:
    """Which page an item lives on: stable, so a new item touches only the newest page."""
    return _id(item) // PAGE_SIZE


def page_blobs(items: list[dict]) -> tuple[list[dict], dict[str, bytes]]:
    """Group items into pages: (the manifest's `item_pages` list, {sha256: page bytes})."""
    groups: dict[int, list[dict]] = {}
    for item in items:
        groups.setdefault(page_key(item), []).append(item)
    refs, blobs = [], {}
    for key in sorted(groups):
        members = sorted(groups[key], key=_id)
        data = canonical_json(members)
        refs.append(blob_ref(data, items=len(members)))
        blobs[refs[-1]["sha256"]] = data
    return refs, blobs


def page_items(data: bytes) -> list[dict]:
    """The items of a page's bytes; BadFeed if it is not a JSON list of objects."""
    try:
        items = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadFeed("page: not JSON") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadFeed("page: not a list of items")
    return items


def _checked_ref(ref, what: str) -> tuple[str, int]:
    if not isinstance(ref, dict) or not is_sha256(ref.get("sha256")):
        raise BadFeed(f"{what}: bad reference")
    size = ref.get("bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BadFeed(f"{what} {ref['sha256'][:12]}: bad size {size!r}")
    return ref["sha256"], size


def catalog_blob(catalog: list) -> tuple[bytes, dict]:
    """The catalog as a blob (canonical JSON) and the manifest's `catalog_blob` reference."""
    data = canonical_json(catalog)
    return data, blob_ref(data)


def catalog_ref(manifest: dict) -> dict[str, int]:
    """{sha256: size} of the manifest's catalog blob; BadFeed if it is malformed."""
    return dict([_checked_ref(manifest.get("catalog_blob"), "catalog")])


def page_refs(manifest: dict) -> dict[str, int]:
    """sha256 → size of every page the manifest lists; BadFeed for anything malformed."""
    if not isinstance(manifest, dict) or manifest.get("protocol") != PROTOCOL:
        raise BadFeed(f"protocol {manifest.get('protocol') if isinstance(manifest, dict) else None!r} "
                      f"is not {PROTOCOL}")
    pages = manifest.get("item_pages")
    if not isinstance(pages, list):
        raise BadFeed("item_pages missing")
    return dict(_checked_ref(ref, "page") for ref in pages)


def blob_refs(items: list[dict]) -> dict[str, int]:
    """sha256 → size of every table and body blob the items reference."""
    refs: dict[str, int] = {}
    for item in items:
        for key in _BLOB_KEYS:
            if key in item:
                sha, size = _checked_ref(item[key], key)
                if refs.get(sha, size) != size:
                    raise BadFeed(f"{key} {sha[:12]}: sizes disagree")
                refs[sha] = size
    return refs


def _when(item: dict) -> datetime:
    try:
        return parse_time(item.get("published_at")) or datetime.min.replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)


def display_order(items: list[dict]) -> list[dict]:
    """Newest published first, then higher id first — the order the server's query gives."""
    return sorted(items, key=lambda i: (_when(i), _id(i)), reverse=True)


def hydrate(manifest: dict, read: Callable[[str], bytes]) -> dict:
    """The manifest as the apps use it: `catalog` from its blob, `items` rebuilt from the pages in
    display order, `table` and `body` filled in from their blobs, each item's `feedback_url` from
    `device.feedback_base`.

    `read(sha256)` returns verified bytes (or raises); BadFeed for a malformed page or blob.
    """
    [catalog_sha] = catalog_ref(manifest)
    try:
        catalog = json.loads(read(catalog_sha).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadFeed("catalog: not JSON") from None
    if not isinstance(catalog, list):
        raise BadFeed("catalog: not a list")
    items = []
    for sha in page_refs(manifest):
        items.extend(page_items(read(sha)))
    blob_refs(items)  # every reference well-formed before any is read
    device = manifest.get("device") if isinstance(manifest.get("device"), dict) else {}
    base = device.get("feedback_base") if isinstance(device.get("feedback_base"), str) else ""
    for item in items:
        if "table_blob" in item:
            try:
                item["table"] = json.loads(read(item["table_blob"]["sha256"]).decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise BadFeed("table blob: not JSON") from None
        if "body_blob" in item:
            try:
                item["body"] = read(item["body_blob"]["sha256"]).decode("utf-8")
            except UnicodeDecodeError:
                raise BadFeed("body blob: not UTF-8") from None
        if base and "id" in item:
            item["feedback_url"] = f"{base}?item={item['id']}"
    return dict(manifest, catalog=catalog, items=display_order(items))


def content_refs(manifest: dict, items: list[dict], lenient: bool = False) -> dict[str, int | None]:
    """Everything besides the pages a hydrated manifest needs on disk: blobs and media. BadFeed
    for a malformed media entry, unless `lenient` (reading back a cache: such entries are skipped,
    the apps show a placeholder)."""
    refs: dict[str, int | None] = dict(blob_refs(items))
    holders = {"items": items, "playlist": manifest.get("playlist"), "alert": manifest.get("alert"),
               "device": manifest.get("device")}
    try:
        media = media_sizes(holders)
    except ValueError as exc:
        if not lenient:
            raise BadFeed(str(exc)) from None
        media = {}
        for holder in [*items, *(holders["playlist"] or []), holders["alert"]]:
            entries = holder.get("media") if isinstance(holder, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                sha = entry.get("sha256") if isinstance(entry, dict) else entry
                if isinstance(sha, str):
                    media[sha] = None
        logo = branding_logo(holders)
        if logo is not None and isinstance(logo.get("sha256"), str):
            media[logo["sha256"]] = None
    for sha, size in media.items():
        if not is_sha256(sha):
            if lenient:
                continue
            raise BadFeed(f"bad media name {str(sha)[:20]!r}")
        if refs.get(sha) is not None and size is not None and refs[sha] != size:
            if lenient:
                continue
            raise BadFeed(f"media {sha[:12]}: sizes disagree")
        refs[sha] = size if size is not None else refs.get(sha)
    return refs


def pack(manifest: dict, feedback_base: str | None = None) -> tuple[dict, dict[str, bytes]]:
    """A version-1-shaped manifest (items inline) as version 2: (manifest, {sha256: blob bytes})."""
    blobs: dict[str, bytes] = {}
    items = []
    for item in manifest.get("items") or []:
        item = {k: v for k, v in item.items() if k != "feedback_url"}
        if isinstance(item.get("table"), dict):
            data, item["table_blob"] = table_blob(item.pop("table"))
            blobs[item["table_blob"]["sha256"]] = data
        if isinstance(item.get("body"), str) and len(item["body"]) > LONG_BODY:
            data, item["body_blob"] = body_blob(item.pop("body"))
            blobs[item["body_blob"]["sha256"]] = data
        items.append(item)
    refs, pages = page_blobs(items)
    blobs.update(pages)
    data, catalog = catalog_blob(manifest.get("catalog") or [])
    blobs[catalog["sha256"]] = data
    out = {k: v for k, v in manifest.items() if k not in ("items", "catalog", "signature")}
    out["protocol"], out["item_pages"], out["catalog_blob"] = PROTOCOL, refs, catalog
    if feedback_base is not None:
        out["device"] = dict(out.get("device") or {}, feedback_base=feedback_base)
    return out, blobs
