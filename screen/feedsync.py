"""Applying a version 2 manifest to the cache (content/feedpages.py): pages, then the blobs and
media they name, each hash-checked, before anything is switched; reading the applied one back;
and `AppliedFeed`, the sync client's record of what is shown and what an event offered.

Order matters for the offline guarantees: the manifest is verified by the caller; the pages it
lists are stored (from the event that carried them, else downloaded), read and checked; then
the blobs and media the pages name; only when every file is in the cache does the caller switch
manifest.json. A file that does not match its hash is discarded and fetched again, never read.
"""
from __future__ import annotations

from typing import Callable

from content.feedpages import BadFeed, catalog_ref, content_refs, hydrate, page_items, page_refs
from content.manifest import canonical_json, etag_for, verify_device, verify_manifest, verify_shared
from screen.cache import ContentCache, MediaError
from screen.identity import SyncError

__all__ = ["AppliedFeed", "Prepared", "hydrate_cached", "prepare"]

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
        try:
            cache.store_media(sha, [text.encode("utf-8")], wanted[sha])
        except MediaError:
            continue                                  # discarded; fetched like any missing file


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
        first = {**pages, **catalog_ref(manifest)}
        _store_inline(cache, inline, first)
        download(cache.missing(first))
        items, read = _pages(cache, pages)
        refs = content_refs(manifest, items)
        _store_inline(cache, inline, refs)
        download(cache.missing(refs))
        hydrated = hydrate(manifest, _reader(cache, read))
    except BadFeed as exc:
        raise SyncError(f"feed: {exc}") from None
    return Prepared(manifest, hydrated, {**first, **refs})


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
    return Prepared(manifest, hydrated, {**pages, **catalog_ref(manifest), **refs})


class AppliedFeed:
    """What the screen shows and what it may switch to next: the applied manifest (hydrated once
    per ETag), the newest manifest an event carried, and the switch itself."""

    def __init__(self, cache: ContentCache, public_key: Callable[[], str | None],
                 device_id: Callable[[], str | None], gc_grace_seconds: float):
        self.cache, self.public_key, self.device_id = cache, public_key, device_id
        self.gc_grace_seconds = gc_grace_seconds
        self.applied: tuple[str, Prepared] | None = None   # (ETag, the applied manifest prepared)
        self.pushed: tuple[dict, dict] | None = None       # (manifest, files) of the newest event
        self._device_checked: bytes | None = None          # the device part last verified
        cached = self.cached()
        if cached:  # a crash between the switch and its GC left unreferenced files behind
            self.cache.collect_garbage(self.applied[1].refs, gc_grace_seconds)
        self.etag = self.applied[0] if cached else None
        self.shown_version = cached.get("version") if cached else None

    def cached(self) -> dict | None:
        """The applied manifest hydrated, if signed by the pinned key and every page and blob is in
        the cache; else None."""
        manifest, key = self.cache.read_manifest(), self.public_key()
        if manifest is None or not key or not verify_manifest(manifest, key):
            return None
        etag = etag_for(manifest)
        known = self.applied
        if known is not None and known[0] == etag:
            return known[1].hydrated
        try:
            prepared = hydrate_cached(self.cache, manifest)
        except SyncError:
            return None
        self.applied = (etag, prepared)
        return prepared.hydrated

    def complete(self) -> bool:
        """Whether the applied manifest and everything it references are in the cache."""
        applied = self.applied
        return self.cached() is not None and applied is not None and not self.cache.missing(applied[1].refs)

    def check(self, manifest: dict, where: str) -> None:
        """SyncError unless the manifest is signed by the pinned key (shared part, device block and
        its scope) and made for this screen. The device block's signature is checked once per
        distinct block: events repeat it with every change."""
        key = self.public_key()
        if not verify_shared(manifest, key):
            raise SyncError(f"{where}: bad signature; kept the old content")
        device = manifest.get("device")
        if not isinstance(device, dict):
            raise SyncError(f"{where}: no device block")
        seen = canonical_json([device, manifest.get("device_signature"), manifest.get("scope")])
        if seen != self._device_checked:
            if not verify_device(manifest, key):
                raise SyncError(f"{where}: bad device signature or scope; kept the old content")
            self._device_checked = seen
        mine = self.device_id()
        if mine and device.get("device_id") != mine:
            raise SyncError(f"{where}: made for another screen; kept the old content")

    def offer(self, manifest: dict, files: dict) -> None:
        """A manifest an event carried (checked when taken)."""
        self.pushed = (manifest, files if isinstance(files, dict) else {})

    def take_pushed(self) -> tuple[dict, dict] | None:
        """The offered manifest if it checks out and is not older than the one shown; else None
        (GET /feed decides). SyncError if it does not check out."""
        pushed, self.pushed = self.pushed, None
        if pushed is None:
            return None
        manifest, files = pushed
        self.check(manifest, "event")
        version, shown = manifest.get("version"), self.shown_version
        if isinstance(version, int) and isinstance(shown, int) and version < shown:
            return None
        return manifest, files

    def switch(self, manifest: dict, files: dict, download: Download) -> dict | None:
        """Apply a verified manifest: store and check everything it references, switch
        manifest.json atomically, then collect garbage. Returns the hydrated manifest, or None
        when it is what the screen already shows."""
        etag = etag_for(manifest)
        applied = self.applied
        if applied is not None and applied[0] == etag and self.complete():
            self.etag = etag  # same content (a new signing time at most): nothing to apply
            return None
        prepared = prepare(self.cache, manifest, files, download)
        previous = applied[1].refs if applied is not None else {}
        self.cache.commit(manifest, prepared.refs)
        self.applied = (etag, prepared)
        self.etag, self.shown_version = etag, manifest.get("version")
        self.cache.collect_garbage(prepared.refs, self.gc_grace_seconds, previous)
        return prepared.hydrated
