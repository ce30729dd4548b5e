"""Login and logout with a session cookie (the JSON API uses bearer tokens instead)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from server import auth, db
from server.guard import ratelimit
from server.admin import bp
from server.i18n import t
from server.auth import LoginLocked, authenticate


def _safe_next(target: str | None) -> str:
    """Only paths inside the admin UI; anything else goes to the work queue."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.queue")


def start_session(user) -> None:
    """A fresh session for this user (new server-side sid and CSRF token; the language choice is kept)."""
    keep = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    session["sid"] = auth.start_session(db.session(), user)
    if keep:
        session["lang"] = keep


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Staff login: one generic error for a wrong name or password."""
    error, status = None, 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            user = authenticate(db.session(), username, request.form.get("password", ""), ratelimit.client())
        except LoginLocked as exc:
            user, status = None, 429
            error = t("login_slowed", seconds=exc.seconds) if exc.code == "login_slowed" else t("login_locked")
        else:
            if user is None:
                error, status = t("login_failed"), 401
        if user is not None:
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html", error=error, username=username,
                           next=request.args.get("next", "")), status


@bp.post("/logout")
def logout():
    """End the session (a POST, so a link cannot log anyone out)."""
    keep = session.get("lang")
    auth.end_session(db.session(), session.get("sid"))
    session.clear()
    if keep:
        session["lang"] = keep
    flash(t("flash.logged_out"))
    return redirect(url_for("admin.login"))
