"""Personal-data retention: N months after closing, a feedback's name, phone and photo (a request's
name, contact and ID number) are erased, each erasure audited without the values; statistics stay the
same; open and recently closed cases are untouched; nothing at all happens with the default 0."""
import io
import os
import sqlite3
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from server import db

from server.hearing import feedback as fbs
from server.hearing.tracking import rating_key

from server.hearing import requests as rqs
from server.hearing import satisfaction as sat
from server.__main__ import main
from server.audit import verify
from server.hearing.models import Feedback, InfoRequest
from server.instance import create_user, find_unit
from server.models import AuditEntry, User, utcnow
from server.hearing.retention import months_before, purge_personal_data, start_retention
from server.background import SERVICES
from server.disclosure.uploads import store_image


def photo(app, color) -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return store_image(out.getvalue(), app.config["MEDIA_DIR"], app.config["MAX_IMAGE_PIXELS"])["sha256"]


def handled(s, unit, users, text, photo_sha=None, close=True, rating="satisfied"):
    fb, _ = fbs.create(s, unit, {"kind": "complaint", "text": text, "name": "王五", "phone": "13800138000"},
                       photo_sha=photo_sha)
    fbs.assign(s, users["bob"], fb, "门诊部", users["hank"])
    fbs.answer(s, users["hank"], fb, "已处理")
    fbs.publish(s, users["bob"], fb)
    fbs.rate(s, fb, rating, rating_key(fb.code))
    if close:
        fbs.close(s, users["bob"], fb)
    return fb


def request(s, unit, users, close=True):
    req, _ = rqs.create(s, unit, {"name": "张三", "id_type": "id_card", "id_number": "110101199001011237",
                                  "contact": "13700137000", "description": "采购合同", "delivery": "email"})
    if close:
        rqs.answer(s, users["bob"], req, "provided", "见附件")
        rqs.close(s, users["bob"], req)
    return req


@pytest.fixture
def cases(app):
    """Closed, open and unrated cases in H001, with photos (one shared by two feedback)."""
    with app.test_request_context():
        s = db.session()
        unit = find_unit(s, "H001")
        create_user(s, "hank", "secret-pass-1", ["handler"], unit)
        s.commit()
        users = {u.username: u for u in s.scalars(select(User))}
        shared, own = photo(app, (200, 0, 0)), photo(app, (0, 200, 0))
        rows = {"closed": handled(s, unit, users, "太慢", own),
                "closed_shared": handled(s, unit, users, "太吵", shared, rating="unsatisfied"),
                "open_shared": handled(s, unit, users, "没人理", shared, close=False),
                "new": fbs.create(s, unit, {"kind": "question", "text": "几点开门", "name": "李四",
                                            "phone": "13900139000"})[0],
                "req_closed": request(s, unit, users), "req_open": request(s, unit, users, close=False)}
        yield s, unit, {k: v.id for k, v in rows.items()}, {"shared": shared, "own": own}


def later(months):
    return utcnow() + timedelta(days=31 * months + 1)


def stats(s, unit):
    month = fbs.today().strftime("%Y-%m")
    return sat.satisfaction(s, unit, month), sat.month_figures(s, unit, month)


def test_closed_cases_lose_personal_data_and_statistics_stay(app, cases):
    s, unit, ids, photos = cases
    before = stats(s, unit)
    audit_before = s.scalar(select(func.count(AuditEntry.id)))
    report = purge_personal_data(s, 6, app.config["MEDIA_DIR"], now=later(6))
    s.expire_all()
    fb = {k: s.get(Feedback, v) for k, v in ids.items() if not k.startswith("req")}
    for key in ("closed", "closed_shared"):
        assert (fb[key].name, fb[key].phone, fb[key].photo_sha) == ("", "", None)
        assert fb[key].kind == "complaint" and fb[key].rating and fb[key].status == "closed"
        assert fb[key].received_at and fb[key].closed_at and fb[key].department == "门诊部"
    for key in ("open_shared", "new"):                                   # open cases untouched
        assert fb[key].name and fb[key].phone
    assert fb["open_shared"].photo_sha == photos["shared"]
    req, open_req = s.get(InfoRequest, ids["req_closed"]), s.get(InfoRequest, ids["req_open"])
    assert (req.name, req.contact, req.id_number) == ("", "", "") and req.answer_type == "provided"
    assert open_req.name == "张三" and open_req.id_number
    media = app.config["MEDIA_DIR"]
    assert not os.path.exists(os.path.join(media, photos["own"]))        # only its feedback used it
    assert os.path.exists(os.path.join(media, photos["shared"]))         # an open case still shows it
    assert report["photos_removed"] == 1 and len(report["feedback"]) == 2 and len(report["requests"]) == 1
    assert stats(s, unit) == before
    entries = s.scalars(select(AuditEntry).where(AuditEntry.id > audit_before).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["feedback.erase_personal"] * 2 + ["request.erase_personal"]
    assert all("13800138000" not in e.before + e.after and "王五" not in e.before + e.after for e in entries)
    assert '"phone"' in entries[0].before and verify(s) == []


def test_recently_closed_cases_and_the_default_keep_everything(app, cases):
    s, unit, ids, _ = cases
    assert purge_personal_data(s, 6, app.config["MEDIA_DIR"], now=later(5))["feedback"] == []
    assert purge_personal_data(s, 0, app.config["MEDIA_DIR"], now=later(60))["feedback"] == []
    s.expire_all()
    assert s.get(Feedback, ids["closed"]).phone == "13800138000"
    assert start_retention(app) is None                                  # default 0: no job at all
    assert "server.hearing.retention:start_retention" in SERVICES


def test_a_second_run_erases_nothing_more(app, cases):
    s, _, _, _ = cases
    purge_personal_data(s, 6, app.config["MEDIA_DIR"], now=later(6))
    count = s.scalar(select(func.count(AuditEntry.id)))
    again = purge_personal_data(s, 6, app.config["MEDIA_DIR"], now=later(6))
    assert again["feedback"] == [] and again["requests"] == []
    assert s.scalar(select(func.count(AuditEntry.id))) == count


def test_months_before_clamps_to_the_shorter_month():
    from datetime import datetime, timezone
    assert months_before(datetime(2026, 3, 31, tzinfo=timezone.utc), 1) == datetime(2026, 2, 28, tzinfo=timezone.utc)
    assert months_before(datetime(2026, 1, 15, tzinfo=timezone.utc), 13) == datetime(2024, 12, 15, tzinfo=timezone.utc)
    assert months_before(datetime(2024, 3, 30, tzinfo=timezone.utc), 1) == datetime(2024, 2, 29, tzinfo=timezone.utc)


@pytest.mark.parametrize("backend", ["sqlite"])  # ages the rows with sqlite3 directly
def test_the_command_dry_run_then_for_real(app, cases, capsys):
    s, _, ids, _ = cases
    codes = {s.get(Feedback, ids["closed"]).code, s.get(Feedback, ids["closed_shared"]).code}
    s.close()
    app.extensions["gongkai.engine"].dispose()
    path = os.path.join(app.instance_path, "gongkai.db")
    with sqlite3.connect(path) as conn:                                   # closed seven months ago
        conn.execute("update feedback set closed_at = datetime(closed_at, '-7 months') where status = 'closed'")
        conn.execute("update info_request set closed_at = datetime(closed_at, '-7 months') where status = 'closed'")
    assert main(["purge-personal-data", "--instance", app.instance_path]) == 0
    assert "kept; nothing erased" in capsys.readouterr().out             # the setting is 0 by default
    assert main(["purge-personal-data", "--months", "6", "--dry-run", "--instance", app.instance_path]) == 0
    out = capsys.readouterr().out
    assert "would erase personal data of 2 feedback and 1 request" in out and all(c in out for c in codes)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from feedback where phone != ''").fetchone()[0] == 4
    with open(os.path.join(app.instance_path, "config.py"), "w", encoding="utf-8") as fh:
        fh.write("FEEDBACK_PERSONAL_DATA_MONTHS = 6\n")
    assert main(["purge-personal-data", "--instance", app.instance_path]) == 0
    assert "erased personal data of 2 feedback and 1 request(s); 1 photo(s) removed" in capsys.readouterr().out
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from feedback where phone != ''").fetchone()[0] == 2
    assert main(["verify-audit", "--instance", app.instance_path]) == 0
