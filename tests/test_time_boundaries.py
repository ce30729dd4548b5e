"""Windows open and close on time; 公示 windows are counted in working days of the local calendar."""
from datetime import datetime, timedelta, timezone

from server import db
from server.disclosure.boundaries import apply_time_boundaries
from server.models import CalendarOverride

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases

CST = timezone(timedelta(hours=8))


def test_scheduled_item_opens_then_expires(api, app):
    start = datetime.now(CST) + timedelta(hours=2)
    end = start + timedelta(days=1)
    item = api.create(window={"start": start.isoformat(), "end": end.isoformat()})
    assert api.publish(item["id"])["status"] == "scheduled"
    with app.app_context():
        s = db.session()
        assert apply_time_boundaries(s, start - timedelta(minutes=1)) == 0
        assert apply_time_boundaries(s, start + timedelta(seconds=1)) == 1
    assert api.call("GET", f"/items/{item['id']}", "alice").get_json()["status"] == "published"
    with app.app_context():
        assert apply_time_boundaries(db.session(), end) == 1
    done = api.call("GET", f"/items/{item['id']}", "alice").get_json()
    assert done["status"] == "expired"
    assert [h["by"] for h in done["history"]][-2:] == ["system", "system"]


def test_publicity_window_counts_working_days_over_a_holiday(api):
    # 2024-09-30 (Mon) 10:00 CST; National Day 10-01..07 are holidays, 10-08 onwards working days.
    start = datetime(2024, 9, 30, 10, 0, tzinfo=CST)
    item = api.create(category="notices", title="任前公示", window={"start": start.isoformat()})
    done = api.publish(item["id"])
    end = datetime.fromisoformat(done["window"]["end"]).astimezone(CST)
    # 9-30, 10-08, 10-09, 10-10, 10-11 are the 5 working days; the window ends at 10-12 00:00.
    assert end == datetime(2024, 10, 12, 0, 0, tzinfo=CST)
    assert done["status"] == "published"


def test_publicity_window_uses_the_override_table(api, app):
    start = datetime(2031, 3, 3, 9, 0, tzinfo=CST)   # a Monday, in a year the package does not know
    with app.app_context():
        s = db.session()
        s.add(CalendarOverride(day=datetime(2031, 3, 4).date(), working=False, note="假日"))
        s.commit()
    item = api.create(category="notices", title="公示", window={"start": start.isoformat()})
    end = datetime.fromisoformat(api.publish(item["id"])["window"]["end"]).astimezone(CST)
    # Mon 3, (Tue 4 off by override), Wed 5, Thu 6, Fri 7, Mon 10 → ends Tue 11 00:00 (not Tue 10)
    assert end == datetime(2031, 3, 11, 0, 0, tzinfo=CST)


def test_calendar_api_needs_admin_and_validates(api):
    assert api.call("PUT", "/calendar", "alice", json={"overrides": []}).status_code == 403
    bad = api.call("PUT", "/calendar", "root", json={"overrides": [{"date": "2027-02-30", "working": True}]})
    assert bad.status_code == 422
    ok = api.call("PUT", "/calendar", "root",
                  json={"overrides": [{"date": "2027-01-01", "working": False, "note": "元旦"}]})
    assert ok.status_code == 200
    got = api.call("GET", "/calendar", "alice").get_json()
    assert got["overrides"] == [{"date": "2027-01-01", "working": False, "note": "元旦"}]


def test_the_job_sleeps_until_the_next_boundary(api, app):
    from server.disclosure.boundaries import MAX_SLEEP_SECONDS, next_boundary, seconds_until_next
    now = datetime.now(CST)
    start = now + timedelta(seconds=20)
    item = api.create(window={"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    api.publish(item["id"])
    with app.app_context():
        s = db.session()
        assert abs((next_boundary(s, now) - start).total_seconds()) < 0.001
        assert 19 < seconds_until_next(s, now) <= 20.1
        assert seconds_until_next(s, start + timedelta(hours=2)) == MAX_SLEEP_SECONDS


def test_background_job_opens_a_window_on_time(api, app):
    from server.disclosure.boundaries import start_background_jobs
    import time
    start = datetime.now(CST) + timedelta(seconds=4)   # publishing must finish before it: a busy machine
    item = api.create(window={"start": start.isoformat()})
    assert api.publish(item["id"])["status"] == "scheduled"
    thread = start_background_jobs(app)
    try:
        deadline = time.monotonic() + 30   # generous: the machine may be busy; it opens after ~4 s
        status = "scheduled"
        while status != "published" and time.monotonic() < deadline:
            time.sleep(0.1)
            status = api.call("GET", f"/items/{item['id']}", "alice").get_json()["status"]
        assert status == "published"
    finally:
        thread.stop.set()
