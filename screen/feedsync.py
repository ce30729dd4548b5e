"""Applying a version 2 manifest to the cache (content/feedpages.py): pages, then the blobs and
media they name, each hash-checked, before anything is switched; and reading the cached one back.

Order matters for the offline guarantees: the manifest is verified by the caller; the pages it
lists are stored (from the event that carried them, else downloaded), read and checked; then
the blobs and media the pages name; only when every file is in the cache does the caller switch
manifest.json. A file that does not match its hash is discarded and fetched again, never read.
"""
from __future__ import annotations

from typing import Callable

from content.feedpages import BadFeed, content_refs, hydrate, page_items, page_refs, sha256
from screen.cache import ContentCache, MediaError
from screen.identity import SyncError

__all__ = ["Prepared", "hydrate_cached", "prepare"]

Download = Callable[[dict], None]   # missing {sha256: size} → stored, or raises


class Prepared:
    """A manifest ready to switch to: hydrated for the apps, and every file it references."""

    def __init__(self, manifest: dict, hydrated: dict, refs: dict[str, int | None]):
        self.manifest, self.hydrated, self.refs = manifest, hydrated, refs


def _store_inline(cache: ContentCache, inline: dict, wanted: dict) -> None:
    """Files the event carried: kept only if wanted, absent and matching their hash."""
    for sha, text in inline.items():
        if sha not in wanted or not isinstance(text, str) or cache.has_media(sha, wanted[sha]):
            continue
        data = text.encode("utf-8")
        if sha256(data) != sha:
            continue                                  # discarded; fetched like any missing file
        try:
            cache.store_media(sha, [data], wanted[sha])
        except MediaError:
            continue


def _pages(cache: ContentCache, pages: dict) -> tuple[list[dict], dict[str, bytes]]:
    items, read = [], {}
    for sha in pages:
        data = cache.read_verified(sha)
        if data is None:
            raise SyncError(f"page {sha[:12]}: missing or damaged in the cache")
        read[sha] = data
        items.extend(page_items(data))
    return items, read


def _reader(cache: ContentCache, known: dict[str, bytes]):
    def read(sha: str) -> bytes:
        data = known.get(sha)
        if data is None:
            data = cache.read_verified(sha)
        if data is None:
            raise SyncError(f"blob {sha[:12]}: missing or damaged in the cache")
        return data
    return read


def prepare(cache: ContentCache, manifest: dict, inline: dict, download: Download) -> Prepared:
    """Store everything `manifest` references (inline files first, then downloads) and hydrate it;
    SyncError (or the download's error) if anything is malformed or cannot be had."""
    try:
        pages = page_refs(manifest)
        _store_inline(cache, inline, pages)
        download(cache.missing(pages))
        items, read = _pages(cache, pages)
        refs = content_refs(manifest, items)
        _store_inline(cache, inline, refs)
        download(cache.missing(refs))
        hydrated = hydrate(manifest, _reader(cache, read))
    except BadFeed as exc:
        raise SyncError(f"feed: {exc}") from None
    return Prepared(manifest, hydrated, {**pages, **refs})


def hydrate_cached(cache: ContentCache, manifest: dict) -> Prepared:
    """The applied manifest read back from the cache (no network); SyncError if a page or blob is
    missing or damaged (media may be missing: the apps show a placeholder, sync fetches it)."""
    try:
        pages = page_refs(manifest)
        items, read = _pages(cache, pages)
        refs = content_refs(manifest, items, lenient=True)
        hydrated = hydrate(manifest, _reader(cache, read))
    except BadFeed as exc:
        raise SyncError(f"cache: {exc}") from None
    return Prepared(manifest, hydrated, {**pages, **refs})
