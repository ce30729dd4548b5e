"""Property (issue 14, item 1): over audiences × 先内后外 steps × windows × statuses, no route that
answers without a staff login shows anything of a revision the public may not see now — not its title,
not its body, not its images, not its commitment form — and each one that the public may see does show
on the QR form. Every public route is in the table below; a new one fails the test until it is added.

The attack it stands for: /f/<screen code>?item=<id> printed "关于：<title>" for any live item of the
unit, staff-only and party-only included, and ids are sequential."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import delete, func, select

from server import db
from server.commitments.models import Commitment, CommitmentRating
from server.hearing.models import Feedback, FeedbackPoint, HandlingStep, InfoRequest
from server.models import Attachment, Category, Item, Revision, Unit

AUDIENCES = ["party", "staff", "patients", "public"]
STATUSES = ["draft", "submitted", "reviewed", "cleared", "approved", "scheduled", "published",
            "expired", "withdrawn", "superseded"]
NOW = datetime.now(timezone.utc)
KEY = re.compile(r'name="k" value="([^"]+)"')

# Every route of the blueprints that answer without a staff login, and how this test calls it.
COVERED = {
    ("public.feedback_form", "GET"), ("public.submit_feedback", "POST"), ("public.rate_commitment", "POST"),
    ("public.lookup", "GET"), ("public.track", "GET"), ("public.rate", "POST"),
    ("public.request_form", "GET"), ("public.submit_request", "POST"), ("media.get", "GET"),
}

hours = st.integers(min_value=-72, max_value=72)
steps = st.lists(st.tuples(st.sets(st.sampled_from(AUDIENCES), min_size=1), st.none() | hours),
                 min_size=1, max_size=3)
rows = st.lists(st.tuples(st.sampled_from(STATUSES), steps, st.none() | hours, st.none() | hours,
                          st.booleans()), min_size=1, max_size=5)


def _at(h):
    return None if h is None else NOW + timedelta(hours=h)


def public_now(status, plan, start, end, now) -> bool:
    """The rule restated independently of content/visibility.py: live, inside its window, and a step
    open to patients or the public has opened."""
    if status not in ("published", "scheduled") or (start and start > now) or (end and end <= now):
        return False
    opened = set().union(*(set(a) for a, h in plan if h is None or _at(h) <= now))
    return bool(opened & {"patients", "public"})


def test_every_public_route_is_covered(app):
    """Routes of the public and media blueprints (and any other route needing no login) are all in
    COVERED: a new public route must join the property below."""
    found = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] in ("public", "media")
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == COVERED


@pytest.fixture
def point(app):
    app.config["PUBLIC_RATE_LIMIT"] = 0      # the property sends many POSTs from one address
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=s.scalar(select(Unit.id).where(Unit.code == "H001")), code="BOX1",
                            name="门诊大厅意见箱"))
        s.commit()
    return "BOX1"


def _make(s, unit, cat, n, status, plan, start_h, end_h, commitment):
    start, end = _at(start_h), _at(end_h)
    if start and end and end <= start:
        end = start + timedelta(hours=1)
    item = Item(unit=unit, category=cat, kind="commitment" if commitment else "item")
    sha = f"{n:02d}" + "ab" * 31
    rev = Revision(number=1, title=f"机密标题{n}号QZX", body=f"机密正文{n}号QZX", status=status,
                   window_start=start, window_end=end,
                   audiences=[{"audiences": sorted(a), "at": _at(h).isoformat() if h is not None else None}
                              for a, h in plan])
    rev.attachments.append(Attachment(sha256=sha, mime="image/png", width=1, height=1, size=4, filename="x.png"))
    item.revisions.append(rev)
    s.add(item)
    s.flush()
    if commitment:
        s.add(Commitment(item_id=item.id, unit_id=unit.id, committer_kind="department", committer="医务科",
                         pledge="承诺", due_date=date(2030, 1, 1)))
    req = InfoRequest(unit_id=unit.id, code=f"SQ-2026-AAAA{'CDEFG'[n]}-BBBBB", name="张三", id_type="id_card",
                      id_number="110101", contact="a@b.cn", description="申请", delivery="email",
                      status="answered", clock_start=date.today(), due_date=date.today(),
                      answer_type="public", answer_item_id=item.id)
    s.add(req)
    return item, rev, sha, req.code


def _pages(client, app, item_id, sha, sq_code):
    """Every public route, asked about this item: (name, response) pairs, and the feedback stored."""
    out = []
    q = f"?item={item_id}"
    form = client.get(f"/f/BOX1{q}")
    out += [("form", form), ("form en", client.get(f"/f/BOX1{q}&lang=en")),
            ("print scanned", client.get(f"/f/BOX1{q}&v=1")),            # a 公开栏 print's QR (server/boards/scan.py)
            ("print bad v", client.get(f"/f/BOX1{q}&v={'9' * 30}"))]
    key = KEY.search(form.text).group(1)
    out.append(("form error", client.post(f"/f/BOX1{q}", data={"k": key, "kind": "question", "text": ""})))
    sent = client.post(f"/f/BOX1{q}", data={"k": key, "kind": "question", "text": f"关于 {item_id}"})
    out.append(("received", sent))
    code = re.search(r"FK-\d{4}-[2-9A-Z]{5}-[2-9A-Z]{5}", sent.text).group(0)
    link = re.search(r'id="rating-link">http://[^/]+(/t/[^<]+)<', sent.text).group(1)
    out += [("track", client.get(f"/t/{code}")), ("track with link", client.get(link)),
            ("rate", client.post(f"/t/{code}/rate", data={"rating": "bogus"})),
            ("pledge", client.post(f"/f/BOX1/pledge{q}", data={"k": "x" * 20, "rating": "bogus"})),
            ("pledge ok", client.post(f"/f/BOX1/pledge{q}", data={"k": f"pledge-key-{item_id:08d}",
                                                                   "rating": "satisfied"})),
            ("request answer", client.get(f"/t/{sq_code}")),
            ("lookup", client.get(f"/t?code={sq_code}")), ("lookup form", client.get(f"/t{q}")),
            ("request form", client.get(f"/r{q}")),
            ("request error", client.post(f"/r{q}", data={"k": key, "unit": "H001"})),
            ("media", client.get(f"/media/{sha}")), ("not found", client.get(f"/f/NOPE{q}")),
            ("bad code", client.get(f"/t/FK-0000-{item_id}{q}"))]
    with app.app_context():
        fb = db.session().scalar(select(Feedback).where(Feedback.code == code))
        linked = fb.item_id
    return out, linked


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=rows)
@example(made=[("published", [({"staff"}, None)], None, None, False),              # staff-only, live
               ("published", [({"party"}, None)], None, None, True),              # party-only commitment
               ("published", [({"staff"}, None), ({"public"}, 48)], -1, None, False),  # 先内后外, step later
               ("published", [({"staff"}, None), ({"patients"}, -2)], None, None, True),  # step has opened
               ("published", [({"public"}, None)], None, None, True)])            # public: must show
@example(made=[("scheduled", [({"public"}, None)], 5, None, False),               # window opens later
               ("published", [({"public"}, None)], -9, -1, False),                 # window over
               ("withdrawn", [({"public"}, None)], None, None, True),
               ("draft", [({"public"}, None)], None, None, False),
               ("approved", [({"patients"}, None)], None, None, False)])
def test_nothing_that_is_not_public_now_reaches_a_public_page(app, client, point, made):
    with app.app_context():
        s = db.session()
        unit = s.scalar(select(Unit).where(Unit.code == "H001"))
        cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == "prices"))
        things = [_make(s, unit, cat, n, *row) for n, row in enumerate(made)]
        s.commit()
        items = [(item.id, rev.title, rev.body, row, rev.window_start, rev.window_end, sha, sq, item.kind)
                 for (item, rev, sha, sq), row in zip(things, made)]
    try:
        for item_id, title, body, (status, plan, *_), start, end, sha, sq, kind in items:
            public = public_now(status, plan, start, end, datetime.now(timezone.utc))
            pages, linked = _pages(client, app, item_id, sha, sq)
            for name, resp in pages:
                assert resp.status_code < 500, (name, resp.status_code)
                if not public:
                    assert title not in resp.text and body not in resp.text, (name, status, plan, start, end)
                if name == "media":
                    assert resp.status_code in (401, 404)     # no image is served without a login
            shown = dict(pages)
            assert (f"关于：{title}" in shown["form"].text) == public   # shown exactly when public now
            assert ("本张为现行版本" in shown["print scanned"].text) == public
            assert "paper-state" not in shown["print bad v"].text
            assert (linked == item_id) == public                      # and only then linked to it
            if kind == "commitment":
                assert (shown["pledge ok"].status_code == 303) == public
                with app.app_context():
                    rated = db.session().scalar(select(func.count()).select_from(CommitmentRating).join(
                        Commitment).where(Commitment.item_id == item_id))
                assert (rated > 0) == public
            else:
                assert shown["pledge ok"].status_code == 404
    finally:
        with app.app_context():
            s = db.session()
            for model in (CommitmentRating, Commitment, HandlingStep, Feedback, InfoRequest, Attachment,
                          Revision, Item):
                s.execute(delete(model))
            s.commit()
