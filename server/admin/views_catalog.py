"""公开目录: the unit's catalog as a tree (all staff); editing and adding categories (admins)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from content.model import Role
from server.auth import require_roles
from server import db, staff
from server.disclosure import catalog
from server.admin import bp, forms
from server.ingest import targets
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
    s = db.session()
    cat = catalog.find(s, g.unit, key)
    if request.method == "GET":
        target = targets.setting(s, cat)
        return _form({**forms.stored_category_values(cat),
                      "import_item": str(target.item_id or "") if target else "",
                      "import_new_items": bool(target and target.new_items)}, key)
    values = {**forms.category_values(request.form), "key": key, "parent": cat.parent_key or "",
              "import_item": request.form.get("import_item", "").strip().lstrip("#"),
              "import_new_items": bool(request.form.get("import_new_items"))}
    try:
        item_id = targets.check_item(s, g.unit, cat, values["import_item"])
        catalog.save_category(s, g.user, g.unit, forms.category_data(values), key)
        old = targets.setting(s, cat)
        if ((old.item_id, old.new_items) if old else (None, False)) != (item_id, values["import_new_items"]):
            targets.set_target(s, g.user, g.unit, cat, item_id, values["import_new_items"])
    except ServiceError as exc:
        db.session().rollback()
        return _form(values, key, exc, exc.status)
    flash(t("flash.saved"))
    return redirect(url_for("admin.catalog_tree", _anchor=f"c-{key}"))
