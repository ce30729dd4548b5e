"""公开目录: the unit's catalog as a tree (all staff); editing and adding categories (admins)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from content.model import Role
from server.auth import require_roles
from server import db, staff
from server.disclosure import catalog
from server.admin import bp, forms
from server.i18n import t
from server.validation import ServiceError

NEW = {"key": "", "parent": "", "name": "", "name_en": "", "owner": "", "description": "",
       "audiences": [], "kind": "standing", "period": "", "due_day": "", "working_days": "",
       "sensitive": False, "disclosure_days": "20"}


def _form(values: dict, key: str | None = None, exc: ServiceError | None = None, status: int = 200):
    errors = forms.field_errors(exc) if exc is not None else {}
    problems = exc.fields.get("catalog", (None, {}))[1].get("detail", "") if exc is not None else ""
    errors.pop("catalog", None)
    return render_template("admin/category_form.html", values=values, key=key, errors=errors,
                           problems=[p for p in problems.split("；") if p],
                           categories=catalog.tree(db.session(), g.unit),
                           departments=staff.department_names(db.session(), g.unit, values.get("owner", ""))), status


@bp.get("/catalog")
def catalog_tree():
    """The catalog tree with owners, audiences and time rules."""
    return render_template("admin/catalog.html", categories=catalog.tree(db.session(), g.unit))


@bp.route("/catalog/new", methods=["GET", "POST"])
def new_category():
    """Add a category under a parent (or as a new top-level group)."""
    require_roles(g.user, g.unit, Role.ADMIN)
    if request.method == "GET":
        return _form({**NEW, "parent": request.args.get("parent", "")})
    values = forms.category_values(request.form)
    try:
        cat = catalog.save_category(db.session(), g.user, g.unit, forms.category_data(values))
    except ServiceError as exc:
        db.session().rollback()
        return _form(values, None, exc, exc.status)
    flash(t("flash.created"))
    return redirect(url_for("admin.catalog_tree", _anchor=f"c-{cat.key}"))


@bp.route("/catalog/<key>/edit", methods=["GET", "POST"])
def edit_category(key: str):
    """Edit one category's names, owner, audiences, time rule and settings."""
    require_roles(g.user, g.unit, Role.ADMIN)
    cat = catalog.find(db.session(), g.unit, key)
    if request.method == "GET":
        return _form(forms.stored_category_values(cat), key)
    values = {**forms.category_values(request.form), "key": key, "parent": cat.parent_key or ""}
    try:
        catalog.save_category(db.session(), g.user, g.unit, forms.category_data(values), key)
    except ServiceError as exc:
        db.session().rollback()
        return _form(values, key, exc, exc.status)
    flash(t("flash.saved"))
    return redirect(url_for("admin.catalog_tree", _anchor=f"c-{key}"))
