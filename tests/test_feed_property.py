"""Property: for random items and screens, no feed ever holds an item the screen's audiences may not
see yet (先内后外: not before a step open to them has opened), an unapproved revision, or one whose
window has ended."""
import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select

from content.model import AudiencePlan
from server import db
from server.screens.device_info import by_id
from server.screens.models import Device
from content.feedpages import hydrate
from server.screens.device_feed import build_device_feed
from server.models import Category, Item, Revision, Unit
from server.screens.push import current_mark

AUDIENCES = ["party", "staff", "patients", "public"]
STATUSES = ["draft", "submitted", "reviewed", "cleared", "approved", "scheduled", "published",
            "expired", "withdrawn", "superseded"]
NOW = datetime.now(timezone.utc)

hours = st.integers(min_value=-72, max_value=72)
steps = st.lists(st.tuples(st.sets(st.sampled_from(AUDIENCES), min_size=1), st.none() | hours),
                 min_size=1, max_size=3)
items = st.lists(st.tuples(st.sampled_from(STATUSES), steps, st.none() | hours, st.none() | hours),
                 min_size=1, max_size=8)


def _at(h):
    return None if h is None else NOW + timedelta(hours=h)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=items, screens=st.lists(st.sets(st.sampled_from(AUDIENCES), min_size=1), min_size=1, max_size=3),
       bureau_item=st.booleans())
def test_no_feed_leaks(app, rows, screens, bureau_item):
    with app.app_context():
        s = db.session()
        unit = s.scalar(select(Unit).where(Unit.code == "H001"))
        other = s.scalar(select(Unit).where(Unit.code == "H002"))
        cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "prices"))
        made = {}
        for n, (status, plan, start_h, end_h) in enumerate(rows):
            start, end = _at(start_h), _at(end_h)
            if start and end and end <= start:
                end = start + timedelta(hours=1)
            owner = other if (bureau_item and n == 0) else unit
            item = Item(unit=owner, category=cat)
            rev = Revision(number=1, title=f"t{n}", status=status, window_start=start, window_end=end,
                           audiences=[{"audiences": sorted(a), "at": _at(h).isoformat() if h is not None else None}
                                      for a, h in plan])
            item.revisions.append(rev)
            s.add(item)
            made[f"t{n}"] = (rev, owner)
        devices = []
        for k, auds in enumerate(screens):
            d = Device(id=f"dev{k}", kind="kiosk", screen_w=800, screen_h=600, status="active",
                       pairing_code="X", unit=unit, screen_code=f"S{k}", audiences=sorted(auds))
            s.add(d)
            devices.append(d)
        s.commit()
        mark = current_mark(s)
        for d in devices:
            feed = build_device_feed(s, by_id(s, d.id, mark.device_epoch), mark)
            entries = hydrate(json.loads(feed.body), feed.read)["items"]
            for entry in entries:
                rev, owner = made[entry["title"]]
                assert rev.status in ("published", "scheduled")
                assert owner.id == unit.id                      # H002 is not this screen's unit or bureau
                plan = AudiencePlan.from_list(rev.audiences)
                assert {a.value for a in plan.at(NOW)} & set(d.audiences)   # a step open to it has opened
                assert rev.window_end is None or rev.window_end > NOW
                start = entry["window"]["start"]
                opens = [st_.at for st_ in plan.steps if {a.value for a in st_.audiences} & set(d.audiences)]
                if start is not None and None not in opens:
                    assert datetime.fromisoformat(start) >= min(opens)
            shown = {e["title"] for e in entries}
            for title, (rev, owner) in made.items():
                plan = AudiencePlan.from_list(rev.audiences)
                visible = (rev.status in ("published", "scheduled") and owner.id == unit.id
                           and bool({a.value for a in plan.at(NOW)} & set(d.audiences))
                           and (rev.window_end is None or rev.window_end > NOW))
                assert (title in shown) == visible
        s.execute(delete(Device))
        s.execute(delete(Revision))
        s.execute(delete(Item))
        s.commit()
