"""Departments as a managed list per unit (用户管理 → 科室列表): chosen, not typed, when feedback is
assigned and when a category gets its owner; renames (and merges) carry into what used the old name;
the migration turns the names already in use into the first list. On SQLite and PostgreSQL."""
import re

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from server import db
from server.db import MIGRATIONS
from server.hearing import feedback as fbs
from server.hearing.models import Feedback
from server.instance import find_unit
from server.models import Category, Department
from test_admin import staff  # noqa: F401 (the staff fixture)

BACKENDS = ("sqlite", "postgres")


def names(app, unit="H001", active=True):
    with app.app_context():
        s = db.session()
        unit_id = find_unit(s, unit).id
        return sorted(d.name for d in s.scalars(select(Department).where(Department.unit_id == unit_id))
                      if d.active or not active)


def dept_id(app, name, unit="H001"):
    with app.app_context():
        s = db.session()
        return s.scalar(select(Department.id).where(Department.name == name,
                                                    Department.unit_id == find_unit(s, unit).id))


def make_feedback(app, department=""):
    with app.test_request_context():
        s = db.session()
        fb, _ = fbs.create(s, find_unit(s, "H001"), {"kind": "complaint", "text": "候诊太久"})
        if department:
            fb.department, fb.status = department, "assigned"
        s.commit()
        return fb.id


def test_a_new_unit_starts_with_the_catalogs_owners(app):
    listed = names(app)
    with app.app_context():
        owners = {c.owner for c in db.session().scalars(select(Category).where(
            Category.unit_id == find_unit(db.session(), "H001").id))}
    assert owners - {""} <= set(listed) and "医务处" in listed and "财务科" in listed
    assert "医务处" in names(app, "H002")


def test_admins_add_rename_merge_and_retire(app, staff):
    root = staff("root")
    page = root.get("/admin/departments")
    assert page.status_code == 200 and "科室列表" in page.text and "医务处" in page.text
    assert root.post("/admin/departments", {"name": "  检验科 "}).status_code == 302
    assert "检验科" in names(app)
    again = root.post("/admin/departments", {"name": "检验科"})
    assert again.status_code == 422 and "已有同名科室" in again.text
    assert root.post("/admin/departments", {"name": ""}).status_code == 422
    assert root.post("/admin/departments", {"name": "科" * 101}).status_code == 422
    fb_id = make_feedback(app, department="门诊 部")            # a typo from before the list
    root.post("/admin/departments", {"name": "门诊 部"})
    merged = root.post(f"/admin/departments/{dept_id(app, '门诊 部')}", {"name": "门诊部"})
    assert merged.status_code == 302 and "门诊 部" not in names(app, active=False)
    with app.app_context():
        assert db.session().get(Feedback, fb_id).department == "门诊部"
    owner_id = dept_id(app, "财务科")
    assert root.post(f"/admin/departments/{owner_id}", {"name": "财务处"}).status_code == 302
    with app.app_context():
        s = db.session()
        costs = s.scalar(select(Category).where(Category.key == "average-costs",
                                                Category.unit_id == find_unit(s, "H001").id))
        assert costs.owner == "财务处"
    assert root.post(f"/admin/departments/{owner_id}/active", {"active": "0"}).status_code == 302
    assert "财务处" not in names(app) and "财务处" in names(app, active=False)
    assert root.post("/admin/departments", {"name": "财务处"}).status_code == 302   # taken back into use
    assert "财务处" in names(app)


def test_only_the_units_admin_manages_the_list(app, staff):
    for user in ("alice", "bob", "sue"):
        assert staff(user).get("/admin/departments").status_code == 403
        assert staff(user).post("/admin/departments", {"name": "x"}).status_code == 403
        assert staff(user).post(f"/admin/departments/{dept_id(app, '医务处')}", {"name": "x"}).status_code == 403
    other = dept_id(app, "医务处", "H002")
    assert staff("root").post(f"/admin/departments/{other}", {"name": "x"}).status_code == 404
    assert staff("root").post(f"/admin/departments/{other}/active", {"active": "0"}).status_code == 404
    assert "医务处" in names(app, "H002")


def test_feedback_is_assigned_to_a_listed_department_only(app, api, staff):
    fb_id = make_feedback(app)
    page = staff("bob").get(f"/admin/feedback/{fb_id}").text
    assert '<select name="department" required>' in page and "<option>后勤保障部</option>" in page
    assert 'input name="department"' not in page
    typo = api.call("POST", f"/feedback/{fb_id}/actions", "bob", json={"action": "assign", "department": "后勤部"})
    assert typo.status_code == 422 and "不在本单位的科室列表中" in typo.get_json()["fields"]["department"]
    form = staff("bob").post(f"/admin/feedback/{fb_id}/assign", {"department": "后勤 保障部"})
    assert form.status_code == 422 and "不在本单位的科室列表中" in form.text
    assert staff("bob").post(f"/admin/feedback/{fb_id}/assign", {"department": "后勤保障部"}).status_code == 302
    staff("root").post(f"/admin/departments/{dept_id(app, '后勤保障部')}/active", {"active": "0"})
    page = staff("bob").get(f"/admin/feedback/{fb_id}").text   # retired, but what is stored stays
    assert "<option selected>后勤保障部</option>" in page
    assert staff("bob").post(f"/admin/feedback/{fb_id}/assign", {"department": "后勤保障部"}).status_code == 302
    fresh = make_feedback(app)
    assert "后勤保障部" not in staff("bob").get(f"/admin/feedback/{fresh}").text.split('name="department"')[1].split("</select>")[0]


def test_the_migration_lists_the_names_already_in_use(app):
    """Down to 0007 and up again: category owners and feedback departments become the list."""
    fb_id = make_feedback(app, department="门诊 部")
    engine = app.extensions["gongkai.engine"]
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    listed = names(app)
    assert "门诊 部" in listed and "医务处" in listed
    assert "后勤保障部" not in listed          # added by hand in the template, used by nothing: gone
    with app.app_context():
        assert db.session().get(Feedback, fb_id).department == "门诊 部"
    assert len(listed) == len(set(listed)) and not any(re.match(r"^\s|\s$", n) for n in listed)
