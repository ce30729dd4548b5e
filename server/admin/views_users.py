"""用户管理 (admins of the unit): accounts with their roles here, new accounts, roles, (de)activation."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from content.model import Role
from server import db, staff
from server.admin import bp, forms
from server.i18n import t, term
from server.auth import require_roles, roles_in
from server.validation import ServiceError

NEW = {"username": "", "display_name": "", "password": "", "roles": []}


def _list(values: dict | None = None, errors: dict | None = None, status: int = 200):
    return render_template("admin/users.html", staff=staff.unit_staff(db.session(), g.unit),
                           values=values or NEW, errors=errors or {}, roles=forms.ROLES), status


@bp.get("/users")
def users():
    """Accounts of this unit and the form for a new one."""
    require_roles(g.user, g.unit, Role.ADMIN)
    return _list()


@bp.post("/users")
def create_user():
    """Create an account with roles in this unit."""
    require_roles(g.user, g.unit, Role.ADMIN)
    values = forms.user_values(request.form)
    try:
        staff.create_staff(db.session(), g.user, g.unit, values)
    except ServiceError as exc:
        db.session().rollback()
        return _list({**values, "password": ""}, forms.field_errors(exc), exc.status)
    flash(t("flash.created"))
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_roles(user_id: int):
    """Change one account's roles in this unit."""
    person = staff.managed_user(db.session(), g.user, g.unit, user_id)
    errors, status = {}, 200
    chosen = staff.own_roles(person, g.unit)
    inherited = "、".join(term("role", r) for r in sorted({r.value for r in roles_in(person, g.unit)} - set(chosen)))
    if request.method == "POST":
        chosen = forms.user_values(request.form)["roles"]
        try:
            staff.change_roles(db.session(), g.user, g.unit, person, chosen)
        except ServiceError as exc:
            db.session().rollback()
            errors, status = forms.field_errors(exc), exc.status
        else:
            flash(t("flash.saved"))
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", person=person, chosen=chosen, roles=forms.ROLES,
                           errors=errors, inherited=inherited,
                           elsewhere=staff.other_units(person, g.unit)), status


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    """停用 or 启用 an account."""
    person = staff.managed_user(db.session(), g.user, g.unit, user_id)
    try:
        staff.set_active(db.session(), g.user, g.unit, person, request.form.get("active") == "1")
    except ServiceError as exc:
        db.session().rollback()
        return _list(errors=forms.field_errors(exc), status=exc.status)
    flash(t("flash.saved"))
    return redirect(url_for("admin.users"))


def _departments(errors: dict | None = None, values: dict | None = None, status: int = 200):
    from sqlalchemy import func, select
    from server.models import Category
    s = db.session()
    owned = dict(s.execute(select(Category.owner, func.count()).where(Category.unit_id == g.unit.id)
                           .group_by(Category.owner)).all())
    return render_template("admin/departments.html", departments=staff.departments(s, g.unit), owned=owned,
                           errors=errors or {}, values=values or {}), status


@bp.get("/departments")
def departments_page():
    """科室列表 of this unit: add, rename (or merge), retire."""
    require_roles(g.user, g.unit, Role.ADMIN)
    return _departments()


@bp.post("/departments")
def add_department():
    try:
        dept = staff.add_department(db.session(), g.user, g.unit, request.form.get("name", ""))
    except ServiceError as exc:
        db.session().rollback()
        return _departments({"new": forms.field_errors(exc)}, {"new": request.form.get("name", "")}, exc.status)
    flash(t("dept.added", name=dept.name))
    return redirect(url_for("admin.departments_page"))


@bp.post("/departments/<int:dept_id>")
def rename_department(dept_id: int):
    try:
        dept = staff.rename_department(db.session(), g.user, g.unit, dept_id, request.form.get("name", ""))
    except ServiceError as exc:
        db.session().rollback()
        return _departments({dept_id: forms.field_errors(exc)}, {dept_id: request.form.get("name", "")}, exc.status)
    flash(t("dept.saved", name=dept.name))
    return redirect(url_for("admin.departments_page"))


@bp.post("/departments/<int:dept_id>/active")
def department_active(dept_id: int):
    staff.set_department_active(db.session(), g.user, g.unit, dept_id, request.form.get("active") == "1")
    flash(t("flash.saved"))
    return redirect(url_for("admin.departments_page"))
