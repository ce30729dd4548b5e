"""content.playlist: what plays when, checked by examples and against a minute-by-minute oracle."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from content.playlist import (Entry, alert_of, expand_slides, is_open, night_mode, playlist_at,
                              ticker_at)

CST = timezone(timedelta(hours=8))
MON = datetime(2026, 11, 23, 0, 0, tzinfo=CST)  # a Monday
SHA = ["a" * 64, "b" * 64, "c" * 64]


def manifest(playlist, opening=None, night=True, items=None, ticker=None, alert=None):
    return {"server_time": MON.isoformat(), "playlist": playlist, "items": items or [],
            "device": {"signage": {"opening_hours": opening or [], "night_mode": night}},
            "ticker": ticker or [], "alert": alert}


def entry(item, days=None, frm=None, to=None, start=None, end=None, **kw):
    dayparts = [] if frm is None else [{"days": days or [1, 2, 3, 4, 5, 6, 7], "from": frm, "to": to}]
    return {"item": item, "revision": 1, "title": f"事项{item}", "slide": "notice", "duration": 15,
            "order": kw.pop("order", item), "dayparts": dayparts,
            "window": {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None},
            **kw}


def ids(result):
    return [e.item for e in result[0]]


# ---- examples -----------------------------------------------------------------------------------
def test_weekday_daypart_and_exact_deadlines():
    m = manifest([entry(1, [1, 2, 3, 4, 5], "08:00", "17:30"), entry(2)])
    assert playlist_at(m, MON + timedelta(hours=7)) == ([playlist_at(m, MON)[0][0]], MON + timedelta(hours=8))
    slides, deadline = playlist_at(m, MON + timedelta(hours=9))
    assert [e.item for e in slides] == [1, 2] and deadline == MON + timedelta(hours=17, minutes=30)
    sat = MON + timedelta(days=5, hours=9)
    assert ids(playlist_at(m, sat)) == [2]
    assert playlist_at(m, sat)[1] == MON + timedelta(days=7, hours=8)  # next Monday 08:00


def test_range_past_midnight_wraps_the_week():
    m = manifest([entry(1, [7], "22:00", "02:00")])  # Sunday night into Monday morning
    sun = MON + timedelta(days=6)
    assert ids(playlist_at(m, sun + timedelta(hours=21))) == []
    assert playlist_at(m, sun + timedelta(hours=21))[1] == sun + timedelta(hours=22)
    assert ids(playlist_at(m, sun + timedelta(hours=23))) == [1]
    monday = sun + timedelta(days=1)
    assert ids(playlist_at(m, monday + timedelta(hours=1, minutes=59))) == [1]
    assert playlist_at(m, monday + timedelta(hours=1))[1] == monday + timedelta(hours=2)
    assert ids(playlist_at(m, monday + timedelta(hours=2))) == []
    assert ids(playlist_at(m, MON + timedelta(hours=1))) == [1]  # this Monday too (Sunday before)


def test_window_opens_and_closes_on_time_in_any_offset():
    start, end = MON + timedelta(hours=10), MON + timedelta(hours=12)
    m = manifest([entry(1, start=start, end=end)])
    utc_now = (MON + timedelta(hours=9)).astimezone(timezone.utc)
    assert playlist_at(m, utc_now) == ([], start)
    assert ids(playlist_at(m, start)) == [1] and playlist_at(m, start)[1] == end
    assert playlist_at(m, end) == ([], None)


def test_wall_clock_is_the_manifest_offset_not_the_callers():
    m = manifest([entry(1, [1], "08:00", "09:00")])
    eight_thirty_cst = datetime(2026, 11, 23, 0, 30, tzinfo=timezone.utc)  # = 08:30 +08:00
    assert ids(playlist_at(m, eight_thirty_cst)) == [1]
    m["server_time"] = "2026-11-23T00:00:00+00:00"
    assert ids(playlist_at(m, eight_thirty_cst)) == []


def test_opening_hours_and_night_mode():
    m = manifest([entry(1), entry(2)], opening=[{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "18:00"}])
    assert night_mode(m) and not is_open(m, MON + timedelta(hours=7))
    assert playlist_at(m, MON + timedelta(hours=7)) == ([], MON + timedelta(hours=7, minutes=30))
    assert ids(playlist_at(m, MON + timedelta(hours=12))) == [1, 2]
    assert playlist_at(m, MON + timedelta(days=4, hours=17))[1] == MON + timedelta(days=4, hours=18)
    assert playlist_at(m, MON + timedelta(days=4, hours=19))[1] == MON + timedelta(days=7, hours=7, minutes=30)
    assert not night_mode(manifest([], night=False)) and is_open(manifest([]), MON)


def test_order_duration_clamp_and_defaults():
    m = manifest([entry(1, order=5, duration=1), entry(2, order=1, duration=10_000),
                  entry(3, order=1, duration="x", slide="bogus"), {"item": 4}])
    slides, deadline = playlist_at(m, MON)
    assert [e.item for e in slides] == [2, 3, 4, 1] and deadline is None
    assert [e.duration for e in slides] == [300.0, 15.0, 15.0, 3.0]
    assert slides[1].slide == "notice" and slides[2] == Entry(4, None, "notice", 15.0, "", 3.0)


def test_whole_day_and_24_00():
    m = manifest([entry(1, [2], "00:00", "24:00"), entry(2, [3], "06:00", "06:00")])
    assert ids(playlist_at(m, MON + timedelta(days=1, hours=23, minutes=59))) == [1]
    assert ids(playlist_at(m, MON + timedelta(days=2, hours=1))) == [2]
    assert playlist_at(m, MON)[1] == MON + timedelta(days=1)


def test_window_far_ahead_then_daypart():
    """The window opens at a time its daypart does not allow: the answer changes at the daypart."""
    start = MON + timedelta(days=40, hours=20)   # a Saturday evening, outside Mon–Fri 08:00–17:00
    m = manifest([entry(1, [1, 2, 3, 4, 5], "08:00", "17:00", start=start)])
    assert playlist_at(m, MON)[1] == MON + timedelta(days=42, hours=8)  # the Monday after


@pytest.mark.parametrize("bad", [
    None, [], "x", 5, {}, {"playlist": None}, {"playlist": "abc"}, {"playlist": [None, 1, "x", []]},
    {"playlist": [{"item": True}, {"item": None}, {"item": ""}, {"item": 1.5}]},
    {"playlist": [{"item": 1, "window": "soon"}, {"item": 2, "window": {"start": "yesterday"}},
                  {"item": 3, "window": {"end": "2026-11-23T10:00:00"}}]},  # naive: instant unknown
    {"playlist": [{"item": 1, "dayparts": "weekdays"}, {"item": 2, "dayparts": [{"from": "25:00"}]},
                  {"item": 3, "dayparts": [{"days": "1-5", "from": "08:00", "to": "09:00"}]}]},
    {"server_time": 12, "device": {"signage": {"opening_hours": "always"}}, "playlist": [{"item": 9}]},
    {"device": [], "ticker": {"a": 1}, "alert": "fire", "items": "none", "playlist": [{"item": 9, "duration": float("nan")}]},
])
def test_hostile_manifests_never_raise(bad):
    slides, deadline = playlist_at(bad, MON)
    assert isinstance(slides, list) and (deadline is None or deadline > MON)
    assert ticker_at(bad, MON) == ([], None)
    assert alert_of(bad) is None
    assert expand_slides(bad, slides) is not None
    assert [e.item for e in slides] in ([], [9])  # malformed windows and dayparts hide their entry
    assert is_open(bad, MON)  # malformed opening hours keep the screen on


def test_naive_now_is_a_programmer_error():
    with pytest.raises(ValueError):
        playlist_at(manifest([]), datetime(2026, 11, 23))


# ---- oracle -------------------------------------------------------------------------------------
CLOCK = st.integers(0, 47).map(lambda n: f"{n // 2:02d}:{30 * (n % 2):02d}")
DAYPART = st.fixed_dictionaries({"days": st.lists(st.integers(1, 7), max_size=7), "from": CLOCK, "to": CLOCK})
OFFSET = st.one_of(st.none(), st.integers(-3 * 48, 10 * 48).map(lambda n: MON + timedelta(minutes=30 * n)))


@st.composite
def manifests(draw):
    playlist = []
    for n in range(draw(st.integers(0, 4))):
        start, end = draw(OFFSET), draw(OFFSET)
        playlist.append(entry(n + 1, start=start, end=end, dayparts=draw(st.lists(DAYPART, max_size=2))))
    return manifest(playlist, opening=draw(st.lists(DAYPART, max_size=2)))


def first_change(m, now, horizon):
    """Brute force: the first half-hour mark after `now` where the answer differs (or None)."""
    base = playlist_at(m, now)[0]
    t = MON + timedelta(minutes=30 * ((now - MON) // timedelta(minutes=30) + 1))
    while t <= horizon:
        if playlist_at(m, t)[0] != base:
            return t
        t += timedelta(minutes=30)
    return None


@example({'server_time': '2026-11-23T00:00:00+08:00', 'items': [], 'ticker': [], 'alert': None,
          'playlist': [{'item': 1, 'revision': 1, 'title': '事项1', 'slide': 'notice', 'duration': 15,
                        'order': 1, 'dayparts': [], 'window': {'start': None, 'end': None}}],
          'device': {'signage': {'opening_hours': [{'days': [1], 'from': '00:30', 'to': '00:30'}],
                                 'night_mode': True}}}, 0)  # whole-day range: changes at midnight
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifests(), st.integers(0, 7 * 24 * 60 * 60 - 1))
def test_next_deadline_is_exact(m, seconds):
    now = MON + timedelta(seconds=seconds)
    slides, deadline = playlist_at(m, now)
    horizon = now + timedelta(days=15)
    expected = first_change(m, now, horizon)
    if deadline is None or deadline <= horizon:
        assert deadline == expected
    else:
        assert expected is None
    if deadline is not None:  # constant on [now, deadline), different at the deadline
        assert playlist_at(m, deadline - timedelta(microseconds=1))[0] == slides
        assert playlist_at(m, deadline)[0] != slides


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                        st.sampled_from(["item", "revision", "slide", "duration", "dayparts", "window",
                                         "days", "from", "to", "start", "end", "order", "title", "media",
                                         "table", "rows", "signage", "stats", "text", "opening_hours"]),
                        kids, max_size=6), max_leaves=30))
def test_random_json_never_raises(junk):
    for m in (junk, {"playlist": junk, "items": junk, "ticker": junk, "alert": junk,
                     "device": {"signage": junk}}, {"playlist": [junk], "items": [junk]}):
        slides, _ = playlist_at(m, MON)
        expand_slides(m, slides, rows_per_page=7, pdf_pages=lambda sha: 3)
        ticker_at(m, MON)
        alert_of(m)
        is_open(m, MON)


# ---- slides, ticker, alert ----------------------------------------------------------------------
def test_expansion_per_type():
    items = [{"id": 1, "title": "图", "media": [{"sha256": SHA[0], "type": "image/png"},
                                              {"sha256": SHA[1], "type": "image/jpeg"}, {"sha256": "zz"}]},
             {"id": 2, "title": "册", "media": [{"sha256": SHA[2], "type": "application/pdf"}]},
             {"id": 3, "title": "价", "table": {"columns": ["a"], "rows": [[n] for n in range(25)]}},
             {"id": 4, "title": "统计", "signage": {"slide": "stats", "stats": {"received": 5}}},
             {"id": 5, "title": "表", "table": {"rows": [[n] for n in range(10_000)]}}]
    m = manifest([entry(1, slide="image"), entry(2, slide="document"), entry(3, slide="table"),
                  entry(4, slide="stats"), entry(5, slide="table"), entry(6, slide="image"),
                  entry(7, slide="notice")], items=items)
    slides = expand_slides(m, playlist_at(m, MON)[0], rows_per_page=10, pdf_pages=lambda sha: 2)
    kinds = [(s.item, s.kind, s.part, s.parts, s.media, s.page, s.rows) for s in slides]
    assert kinds[:8] == [(1, "image", 0, 2, SHA[0], None, None), (1, "image", 1, 2, SHA[1], None, None),
                         (2, "document", 0, 2, SHA[2], 0, None), (2, "document", 1, 2, SHA[2], 1, None),
                         (3, "table", 0, 3, None, None, (0, 10)), (3, "table", 1, 3, None, None, (10, 20)),
                         (3, "table", 2, 3, None, None, (20, 25)), (4, "stats", 0, 1, None, None, None)]
    assert slides[7].extra == {"received": 5}
    long_table = [s for s in slides if s.item == 5]
    assert len(long_table) == 20 and long_table[-1].rows == (190, 200)
    assert [(s.item, s.kind, s.title) for s in slides[-2:]] == [(6, "notice", "事项6"), (7, "notice", "事项7")]
    assert len({s.key for s in slides}) == len(slides)


def test_ticker_windows_and_alert():
    m = manifest([], ticker=[{"item": 1, "text": "  门诊  时间\n调整 ", "window": {"start": None, "end": None}},
                             {"item": 2, "text": "明日停水", "window": {"start": (MON + timedelta(hours=8)).isoformat()}},
                             {"item": 3, "text": ""}, {"text": 5}, "x"],
                 alert={"id": 3, "title": "", "body": "请有序疏散", "since": MON.isoformat()})
    assert ticker_at(m, MON) == (["门诊 时间 调整"], MON + timedelta(hours=8))
    assert ticker_at(m, MON + timedelta(hours=9)) == (["门诊 时间 调整", "明日停水"], None)
    assert alert_of(m) == {"id": 3, "title": "紧急通知", "body": "请有序疏散"}
    assert alert_of(manifest([])) is None
