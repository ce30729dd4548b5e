"""我的账号: change one's own password (every other session and token ends) and see or revoke one's
bearer tokens. Thin over server/auth.py, which the JSON API and the command line use too."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server import auth, db
from server.admin import bp, forms
from server.admin.views_auth import start_session
from server.i18n import t
from server.validation import ServiceError


def _page(errors: dict | None = None, status: int = 200):
    return render_template("admin/account.html", tokens=auth.user_tokens(db.session(), g.user),
                           errors=errors or {}), status


@bp.get("/account")
def account():
    """The password form and the list of bearer tokens."""
    return _page()


@bp.post("/account/password")
def change_password():
    """修改密码: the current one, the new one twice; this browser stays logged in with a new session."""
    form = request.form
    if form.get("new", "") != form.get("repeat", ""):
        return _page({"repeat": t("password_mismatch")}, 422)
    try:
        auth.change_password(db.session(), g.user, form.get("current", ""), form.get("new", ""))
    except ServiceError as exc:
        db.session().rollback()
        return _page(forms.field_errors(exc), exc.status)
    start_session(g.user)
    flash(t("flash.password_changed"))
    return redirect(url_for("admin.account"))


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """吊销: the token stops working at once."""
    auth.revoke_token(db.session(), g.user, token_id)
    flash(t("flash.token_revoked"))
    return redirect(url_for("admin.account"))
