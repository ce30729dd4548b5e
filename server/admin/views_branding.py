"""屏幕外观: the unit's display name, colour and logo on its kiosks and signage (admin only, audited;
the rules are in server/screens/branding.py)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from content.branding import MIN_CONTRAST
from content.model import Role
from server import db
from server.admin import bp, forms
from server.auth import require_roles
from server.i18n import t
from server.screens import branding
from server.validation import ServiceError


def _page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    unit = g.unit
    values = values or {"brand_name": unit.brand_name, "brand_colour": unit.brand_colour}
    shown = branding.block_of(unit.name, unit.brand_name, unit.brand_colour, unit.logo)
    return render_template("admin/branding.html", unit=unit, values=values, errors=errors or {},
                           shown=shown, min_contrast=MIN_CONTRAST), status


@bp.get("/branding")
def screen_branding():
    """The form, with the header as the screens will show it."""
    require_roles(g.user, g.unit, Role.ADMIN)
    return _page()


@bp.post("/branding")
def save_screen_branding():
    form = request.form
    upload = request.files.get("logo")
    data = upload.read() if upload and upload.filename else None
    try:
        branding.save(db.session(), g.user, g.unit, form.get("brand_name", ""), form.get("brand_colour", ""),
                      data, remove_logo=form.get("remove_logo") == "1")
    except ServiceError as exc:
        db.session().rollback()
        return _page(forms.field_errors(exc), {"brand_name": form.get("brand_name", ""),
                                               "brand_colour": form.get("brand_colour", "")}, exc.status)
    flash(t("brand.saved"))
    return redirect(url_for("admin.screen_branding"))
