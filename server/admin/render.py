"""Presentation helpers for the admin templates: Markdown, local times, audiences, table previews."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, g
from sqlalchemy import select
from content import markdown as md
from markupsafe import Markup

from content.model import Audience
from server.i18n import t, term

PREVIEW_ROWS = 50
_md = md.PARSER


def markdown(text: str | None) -> Markup:
    """The Markdown subset as HTML; raw HTML in the source is escaped, never passed through; no
    body keeps a worker busy (content/markdown.py)."""
    return Markup(md.to_html(text))


def local_zone() -> timezone:
    return timezone(timedelta(hours=current_app.config.get("TIMEZONE_OFFSET_HOURS", 8)))


def localtime(value: datetime | None) -> str:
    """`2025-03-01 09:30` in the deployment's local time; a stored time that cannot be shown (it
    overflows local time) reads as a warning instead of breaking the page (server/guard/isolation.py)."""
    if not value:
        return ""
    try:
        return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, ValueError, AttributeError):
        return t("data.bad_value")


def audience_names(values) -> str:
    chosen = set(values or ())
    return "、".join(term("audience", a) for a in Audience if a.value in chosen)


def audience_plan(plan) -> str:
    """An audience plan (先内后外 steps) as one readable line."""
    parts = []
    try:
        for step in plan or []:
            if isinstance(step, str):
                return audience_names(plan)
            names = audience_names(step.get("audiences"))
            at = step.get("at")
            parts.append(t("item.from", at=localtime(datetime.fromisoformat(at))) + " " + names
                         if at else names)
    except (AttributeError, TypeError, ValueError):
        return t("data.bad_value")
    return "；".join(parts)


def window(rev) -> str:
    start = localtime(rev.window_start) or t("item.not_set")
    end = localtime(rev.window_end) or t("item.open_end")
    return f"{start} — {end}"


def table_preview(table: dict | None) -> dict | None:
    """Header, the first rows and the row count of a revision's table."""
    if not table or not table.get("columns"):
        return None
    rows = table.get("rows") or []
    return {"columns": table["columns"], "rows": rows[:PREVIEW_ROWS], "count": len(rows),
            "shown": min(len(rows), PREVIEW_ROWS)}


def qr_svg(url: str) -> Markup:
    """A QR code as inline SVG (no image request, prints sharp)."""
    import qrcode
    import qrcode.image.svg
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=1)
    return Markup(img.to_string(encoding="unicode"))


def person(who) -> str:
    """A staff member as people know them: the display name, for a user or a user name (the handling
    steps store user names); "public", "system" and channel words read from the step vocabulary."""
    if who is None or who == "":
        return ""
    if not isinstance(who, str):
        return who.display_name or who.username
    known = g.setdefault("people", {})
    word = term("step", who, None)
    if word is not None:
        return word
    if who not in known:
        from server import db
        from server.models import User
        user = db.session().scalar(select(User).where(User.username == who))
        known[who] = (user.display_name or user.username) if user is not None else who
    return known[who]


def role_name(role) -> str:
    return term("role", role)


FILTERS = {"markdown": markdown, "localtime": localtime, "audience_plan": audience_plan,
           "audience_names": audience_names, "window": window, "person": person, "role_name": role_name}
