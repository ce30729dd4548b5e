"""New item and edit-draft forms (fields, CSV table, images and PDFs on both); errors come back on the
form, and a file chosen on a form that failed must be chosen again (browsers never refill file inputs)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from content.model import Role
from server.auth import require_roles
from server import db
from server.disclosure import catalog
from server.disclosure import items
from server.disclosure.uploads import read_uploads
from server.admin import bp, forms, signage_forms
from server.i18n import t, term
from server.admin.render import table_preview
from server.admin.views_items import load_item
from server.screens.signage import SLIDES
from server.validation import ServiceError

EMPTY = {"category": "", "title": "", "body": "", "audiences": [], "window_start": "",
         "window_end": "", "sensitive": False, "version": ""}


def _files() -> tuple[bytes | None, list[tuple[bytes, str]]]:
    """The CSV table and the images or PDFs chosen on the form."""
    table = request.files.get("table")
    images = [(f.read(), f.filename or "") for f in request.files.getlist("image") if f and f.filename]
    return (table.read() if table and table.filename else None), images


def _chosen_again(errors: dict) -> dict:
    """A failed form loses its chosen files; say so beside the file fields."""
    table, images = bool(request.files.get("table") and request.files["table"].filename), \
        any(f.filename for f in request.files.getlist("image"))
    if table and "table" not in errors:
        errors["table"] = t("field.choose_again")
    if images and "image" not in errors:
        errors["image"] = t("field.choose_again")
    return errors


def _form(template_values: dict, errors: dict | None = None, item=None, status: int = 200):
    rev = items.working_revision(item) if item is not None else None
    return render_template("admin/item_form.html", values=template_values, errors=errors or {},
                           item=item, rev=rev, categories=catalog.tree(db.session(), g.unit),
                           table=table_preview(rev.table) if rev is not None else None, slides=SLIDES), status


@bp.route("/items/new", methods=["GET", "POST"])
def new_item():
    """新建事项: a draft in one of the unit's catalog categories."""
    require_roles(g.user, g.unit, Role.CONTRIBUTOR)
    if request.method == "GET":
        return _form({**EMPTY, **signage_forms.stored_values(None), "category": request.args.get("category", "")})
    values = {**forms.item_values(request.form), **signage_forms.item_values(request.form)}
    table_csv, images = _files()
    try:
        data = {**forms.new_item_data(values), **signage_forms.item_changes(request.form, values)}
        table, visuals, upload_errors = read_uploads(table_csv, images)
        item = items.create_draft(db.session(), g.user, g.unit, data, table=table, visuals=visuals,
                                  upload_errors=upload_errors)
    except ServiceError as exc:
        db.session().rollback()
        return _form(values, _chosen_again(forms.field_errors(exc)), status=exc.status)
    flash(t("flash.created"))
    if request.form.get("then") == "submit":   # 创建并提交审核: one step for a finished draft
        items.take_action(db.session(), g.user, item, "submit")
        flash(t("flash.done", action=term("action", "submit")))
    return redirect(url_for("admin.item", item_id=item.id))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    """修改草稿: fields, table upload and images in one form; a stale version is refused."""
    item = load_item(item_id)
    rev = items.editable_draft(g.user, item)
    stored = {**forms.revision_values(item, rev), **signage_forms.stored_values(rev.signage)}
    if request.method == "GET":
        return _form(stored, item=item)
    values = {**forms.item_values(request.form), **signage_forms.item_values(request.form)}
    table_csv, images = _files()
    try:
        data = {**_with_table_choice(forms.edit_item_data(values, stored)),
                **signage_forms.item_changes(request.form, values, rev.signage)}
        items.edit_with_uploads(db.session(), g.user, item, data, values["version"], table_csv=table_csv,
                                images=images, remove_images=request.form.getlist("remove_image"))
    except ServiceError as exc:
        db.session().rollback()
        return _form(values, _chosen_again(forms.field_errors(exc)), item=item, status=exc.status)
    flash(t("flash.saved"))
    return redirect(url_for("admin.item", item_id=item.id))


def _with_table_choice(data: dict) -> dict:
    if request.form.get("remove_table"):
        data["table"] = None
    return data
