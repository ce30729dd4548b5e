"""What a signage screen plays at an instant, and when that can next change (docs/signage.md).

`playlist_at(manifest, now) -> (entries, next_deadline)`: the manifest's `playlist` entries whose
display window is open, one of whose dayparts matches, inside the device's opening hours, in play
order; and the earliest later instant at which that answer differs (None: never). The player
re-checks exactly at that instant, so windows open and close on time even offline.

Wall-clock rules (dayparts, opening hours: ISO weekdays 1–7, "HH:MM" from inclusive, to exclusive,
to < from runs past midnight, from == to is the whole day) are read in the UTC offset of the
manifest's `server_time`. Everything from the feed is hostile: odd shapes never raise. A malformed
window or daypart hides its entry (fail closed, like content.manifest); malformed opening hours are
ignored (the screen stays on). `expand_slides` turns entries into slides (one per image, document
page or table page). No Kivy, no Flask.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo

from content.manifest import is_sha256, parse_time

__all__ = ["DEFAULT_DURATION", "MAX_DURATION", "MIN_DURATION", "SLIDE_TYPES", "Entry", "Slide",
           "alert_of", "expand_slides", "is_open", "local_zone", "night_mode", "playlist_at",
           "ticker_at"]

SLIDE_TYPES = ("notice", "image", "document", "table", "stats")
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 3.0, 300.0, 15.0
MAX_ENTRIES = 500          # a longer playlist is cut (a screen never needs more)
MAX_TABLE_PAGES = 20       # the rest of a long table is on the phone (QR)
DAY = 86_400
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Entry:
    """One playlist entry, normalised: item id, revision, slide type, clamped duration."""
    item: int | str
    revision: int | None
    slide: str
    duration: float
    title: str
    order: float = 0.0


@dataclass(frozen=True)
class Slide:
    """One thing on screen: `part` of `parts` of an entry (an image, a page, a table page)."""
    item: int | str
    revision: int | None
    kind: str
    duration: float
    title: str
    part: int = 0
    parts: int = 1
    media: str | None = None        # sha256 of the image or PDF shown
    page: int | None = None         # page of a PDF in `media`
    rows: tuple[int, int] | None = None  # table rows [start, end)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple:
        return (self.item, self.revision, self.kind, self.part, self.media, self.page, self.rows)


# ---- wall clock -------------------------------------------------------------------------------
def local_zone(manifest, now: datetime) -> tzinfo:
    """The fixed UTC offset of the manifest's server_time (the unit's wall clock), else now's."""
    try:
        when = parse_time(manifest.get("server_time")) if isinstance(manifest, dict) else None
    except (ValueError, TypeError):
        when = None
    zone = when.tzinfo if when is not None else now.tzinfo
    return timezone(zone.utcoffset(when or now))


def _clock(value) -> int | None:
    """"HH:MM" (or "HH:MM:SS", "24:00") → seconds after midnight; None when malformed."""
    if not isinstance(value, str) or not 4 <= len(value) <= 8:
        return None
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 2 for p in parts):
        return None
    h, m, s = (int(p) for p in (parts + ["0"])[:3])
    if m > 59 or s > 59 or h > 24 or (h == 24 and (m or s)):
        return None
    return h * 3600 + m * 60 + s


def _ranges(raw) -> list[tuple[frozenset, int, int]] | None:
    """Dayparts → [(days, from, to)]; [] = all day every day; None = nothing valid (never)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return None
    out = []
    for part in raw:
        if not isinstance(part, dict):
            continue
        days = part.get("days", list(range(1, 8)))
        start, end = _clock(part.get("from", "00:00")), _clock(part.get("to", "24:00"))
        if not isinstance(days, list) or start is None or end is None:
            continue
        days = frozenset(d for d in days if isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7)
        out.append((days, start % DAY, end % DAY))
    return out if out or not raw else None


def _matches(ranges, local: datetime) -> bool:
    if not ranges:
        return True
    sec = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    day, yesterday = local.isoweekday(), (local.isoweekday() + 5) % 7 + 1
    for days, start, end in ranges:
        if start == end:
            if day in days:
                return True
        elif start < end:
            if day in days and start <= sec < end:
                return True
        elif (day in days and sec >= start) or (yesterday in days and sec < end):
            return True
    return False


# ---- entries ----------------------------------------------------------------------------------
def _number(value, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def _entry(raw, index: int):
    """(Entry, window (start, end), dayparts) or None when the entry cannot be played at all."""
    if not isinstance(raw, dict):
        return None
    item = raw.get("item")
    if isinstance(item, bool) or not isinstance(item, (int, str)) or item == "":
        return None
    revision = raw.get("revision")
    revision = revision if isinstance(revision, int) and not isinstance(revision, bool) else None
    slide = raw.get("slide") if raw.get("slide") in SLIDE_TYPES else "notice"
    duration = min(MAX_DURATION, max(MIN_DURATION, _number(raw.get("duration"), DEFAULT_DURATION)))
    title = raw.get("title") if isinstance(raw.get("title"), str) else ""
    window = raw.get("window") or {}
    try:
        if not isinstance(window, dict):
            raise ValueError
        bounds = (parse_time(window.get("start")), parse_time(window.get("end")))
    except (ValueError, TypeError):
        return None
    ranges = _ranges(raw.get("dayparts"))
    if ranges is None:
        return None
    order = _number(raw.get("order"), float(index))
    return Entry(item, revision, slide, duration, title[:200], order), bounds, ranges


def _parsed(manifest) -> list:
    raw = manifest.get("playlist") if isinstance(manifest, dict) else None
    if not isinstance(raw, list):
        return []
    parsed = [p for p in (_entry(r, n) for n, r in enumerate(raw[:MAX_ENTRIES])) if p is not None]
    return sorted(parsed, key=lambda p: p[0].order)  # stable: equal orders keep the feed's order


def _opening(manifest) -> list:
    device = manifest.get("device") if isinstance(manifest, dict) else None
    signage = device.get("signage") if isinstance(device, dict) else None
    hours = signage.get("opening_hours") if isinstance(signage, dict) else None
    return _ranges(hours) or []  # malformed or empty: always open


def night_mode(manifest) -> bool:
    """Whether the device dims to a black screen with a clock outside opening hours."""
    device = manifest.get("device") if isinstance(manifest, dict) else None
    signage = device.get("signage") if isinstance(device, dict) else None
    return isinstance(signage, dict) and signage.get("night_mode") is True


def _check_now(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def is_open(manifest, now: datetime) -> bool:
    """Inside the device's opening hours (always, when none are configured)."""
    _check_now(now)
    return _matches(_opening(manifest), now.astimezone(local_zone(manifest, now)))


def _answer(parsed, opening, zone, now: datetime) -> list[Entry]:
    local = now.astimezone(zone)
    if not _matches(opening, local):
        return []
    return [entry for entry, (start, end), ranges in parsed
            if (start is None or start <= now) and (end is None or now < end) and _matches(ranges, local)]


def _next_change(answer_at, now: datetime, instants: list[datetime], times: list[int], zone) -> datetime | None:
    """The first candidate instant after `now` where answer_at differs from answer_at(now).

    Candidates: window bounds, and every wall-clock boundary (`times`, seconds after midnight) on
    each day; with no window bound left, 8 days of boundaries cover the weekly cycle.
    """
    base = answer_at(now)
    cursor, later = now, sorted({t for t in instants if t > now})
    while True:
        stop = later[0] if later else None
        horizon = cursor + WEEK + timedelta(days=1)
        if stop is not None and stop <= horizon:
            horizon = stop
        candidates = {stop} if stop == horizon else set()
        day = datetime.combine(cursor.astimezone(zone).date(), datetime.min.time(), zone)
        while times and day <= horizon:
            candidates.update(c for c in (day + timedelta(seconds=s) for s in times) if cursor < c <= horizon)
            day += timedelta(days=1)
        for c in sorted(candidates):
            if answer_at(c) != base:
                return c
        if stop is None:
            return None
        if stop > horizon and answer_at(stop) != base:  # a whole week unchanged: nothing moves until stop
            return stop
        cursor, later = stop, [t for t in later if t > stop]


def playlist_at(manifest, now: datetime) -> tuple[list[Entry], datetime | None]:
    """The entries playing at `now` (aware, server time), in order, and when that next changes."""
    _check_now(now)
    parsed, opening, zone = _parsed(manifest), _opening(manifest), local_zone(manifest, now)
    instants = [t for _, bounds, _ in parsed for t in bounds if t is not None]
    # every from/to, and midnight: a from == to range covers its whole weekday, so it starts
    # and ends at 00:00 (a range's weekday also changes there)
    times = sorted({0} | {t for ranges in [opening] + [p[2] for p in parsed] for _, a, b in ranges for t in (a, b)})
    answer = lambda when: _answer(parsed, opening, zone, when)  # noqa: E731
    return answer(now), _next_change(answer, now, instants, times, zone)


def ticker_at(manifest, now: datetime) -> tuple[list[str], datetime | None]:
    """Texts of the 滚动字幕 line whose window is open at `now`, and when that next changes."""
    _check_now(now)
    raw = manifest.get("ticker") if isinstance(manifest, dict) else None
    notes = []
    for note in raw[:100] if isinstance(raw, list) else []:
        text = note.get("text") if isinstance(note, dict) else None
        window = note.get("window") if isinstance(note, dict) else None
        try:
            window = window if isinstance(window, dict) else {} if window is None else None
            bounds = (parse_time(window.get("start")), parse_time(window.get("end")))
        except (ValueError, TypeError, AttributeError):
            continue
        if isinstance(text, str) and text.strip():
            notes.append((" ".join(text.split())[:200], bounds))
    answer = lambda when: [t for t, (s, e) in notes if (s is None or s <= when) and (e is None or when < e)]  # noqa: E731
    instants = [t for _, bounds in notes for t in bounds if t is not None]
    return answer(now), _next_change(answer, now, instants, [], local_zone(manifest, now))


def alert_of(manifest) -> dict | None:
    """The emergency alert as {"id", "title", "body"} (plain text), or None."""
    alert = manifest.get("alert") if isinstance(manifest, dict) else None
    if not isinstance(alert, dict) or not alert:
        return None
    title = alert.get("title") if isinstance(alert.get("title"), str) and alert["title"].strip() else "紧急通知"
    body = next((v for v in (alert.get("body"), alert.get("text"), alert.get("message")) if isinstance(v, str)), "")
    return {"id": alert.get("id"), "title": title[:80], "body": body[:800]}


# ---- slides -----------------------------------------------------------------------------------
def _items_by_id(manifest) -> dict:
    items = manifest.get("items") if isinstance(manifest, dict) else None
    return {i["id"]: i for i in items if isinstance(i, dict) and isinstance(i.get("id"), (int, str))} \
        if isinstance(items, list) else {}


def _media(item: dict, prefix: str) -> list[str]:
    media = item.get("media") if isinstance(item, dict) else None
    return [m["sha256"] for m in media if isinstance(m, dict) and is_sha256(m.get("sha256"))
            and isinstance(m.get("type"), str) and m["type"].startswith(prefix)] if isinstance(media, list) else []


def _table_rows(item: dict) -> int | None:
    table = item.get("table") if isinstance(item, dict) else None
    rows = table.get("rows") if isinstance(table, dict) else None
    return len(rows) if isinstance(rows, list) else None


def _parts(entry: Entry, item: dict | None, rows_per_page: int, pdf_pages) -> list[dict]:
    """Keyword sets for each slide of one entry; [] when its content is missing."""
    if item is None:
        return []
    if entry.slide == "image":
        return [{"media": sha} for sha in _media(item, "image/")]
    if entry.slide == "document":
        parts = [{"media": sha} for sha in _media(item, "image/")]
        for sha in _media(item, "application/pdf"):
            count = pdf_pages(sha) if pdf_pages else 1
            count = count if isinstance(count, int) and count > 0 else 0
            parts.extend({"media": sha, "page": n} for n in range(min(count, MAX_TABLE_PAGES)))
        return parts
    if entry.slide == "table":
        total = _table_rows(item)
        if not total:
            return []
        size = max(1, int(rows_per_page))
        pages = [{"rows": (n, min(total, n + size))} for n in range(0, min(total, size * MAX_TABLE_PAGES), size)]
        return pages + [{"media": sha, "kind": "image"} for sha in _media(item, "image/")]   # images follow
    if entry.slide == "stats":
        stats = item.get("signage", {}).get("stats") if isinstance(item.get("signage"), dict) else None
        return [{"extra": stats}] if isinstance(stats, dict) else []
    return [{}]


def expand_slides(manifest, entries: list[Entry], rows_per_page: int = 12, pdf_pages=None) -> list[Slide]:
    """Entries → slides. An entry whose content is missing or malformed becomes one notice slide
    with its title (a placeholder, never an error). pdf_pages(sha) → page count, if PDFs occur."""
    items, slides = _items_by_id(manifest), []
    for entry in entries:
        item = items.get(entry.item)
        parts = _parts(entry, item, rows_per_page, pdf_pages) if entry.slide != "notice" else [{}]
        kind = entry.slide if parts else "notice"
        parts = parts or [{}]
        title = entry.title or (item.get("title") if isinstance(item, dict) and isinstance(item.get("title"), str) else "")
        for n, extra in enumerate(parts):
            slides.append(Slide(entry.item, entry.revision, extra.get("kind", kind), entry.duration, title[:200], n, len(parts),
                                extra.get("media"), extra.get("page"), extra.get("rows"),
                                extra.get("extra") or {}))
    return slides
