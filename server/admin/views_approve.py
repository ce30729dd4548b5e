"""审定通过 with eyes open: before the sign-off that publishes, this revision as the kiosk, a signage
screen and a phone would show it, to whom and on how many screens; afterwards, on the item page,
the screens it went to, with links. Screens are counted by the feed's own rule
(server/screens/device_feed.py screens_for, signage_block)."""
from __future__ import annotations

from flask import current_app, g, render_template

from content.lifecycle import publishes
from server import db
from server.admin.render import qr_svg, table_preview
from server.commitments import pledges
from server.disclosure import items
from server.hearing.feedback import KINDS
from server.models import Item, Revision, utcnow
from server.screens import registry
from server.screens.device_feed import screens_for, signage_block
from server.screens.signage import slide_for

CONFIRMED = ("approve", "escalate")   # the sign-offs that can publish: shown first, then taken
PREVIEW_ROWS = 8


def reach(item: Item, rev: Revision) -> dict:
    """The screens `rev` reaches once live, by kind, each signage screen with its slide (or none)."""
    s = db.session()
    screens = screens_for(s, rev)
    signage = [(d, signage_block(s, rev, d)) for d in screens if d.kind == "signage"]
    return {"screens": screens, "kiosks": [d for d in screens if d.kind == "kiosk"], "signage": signage,
            "playing": [d for d, block in signage if block], "online": {d.id: registry.is_online(d) for d in screens},
            "current": {d.id: registry.up_to_date(d) for d in screens}}


def phone_url(item: Item, screens) -> str:
    """The phone page the item's QR code opens (on the first of its screens)."""
    code = next((d.screen_code for d in screens if d.screen_code), None)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/f/{code}?item={item.id}" if code else ""


def confirm_page(item: Item, action: str, comment: str, status: int = 200):
    """The preview and the confirmation of `action` (审定通过 / 再审定通过) on the working revision."""
    s = db.session()
    rev = items.working_revision(item)
    going_live = publishes(items.flow_of(rev), action)
    now = utcnow()
    try:
        window = items.publish_window(s, item, rev, now)
    except ValueError:   # an end before the start: the approval itself will refuse it
        window = None
    where = reach(item, rev)
    slide = next((block for _, block in where["signage"] if block), None)
    url = phone_url(item, where["screens"])
    return render_template(
        "admin/approve_confirm.html", item=item, rev=rev, action=action, comment=comment,
        going_live=going_live, window=window, reach=where,
        starts_at=window.start if window and window.start > now else None,
        slide=slide["slide"] if slide else slide_for(rev), slide_duration=slide["duration"] if slide else None,
        table=table_preview(rev.table), rows=PREVIEW_ROWS, qr=qr_svg(url or f"{item.id}"), phone_url=url,
        pledge=pledges.for_item(s, item) is not None,
        stats=(rev.signage or {}).get("stats"), unit=g.unit, kinds=KINDS, ratings=pledges.RATINGS), status
