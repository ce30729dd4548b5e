"""Stored revisions through the pure visibility rules (content/visibility.py): the one question every
page answering without a staff login asks before it shows anything of an item, even its title."""
from __future__ import annotations

from datetime import datetime

from content import visibility
from content.model import AudiencePlan, Window
from server.models import Item, Revision, utcnow


def plan_of(rev: Revision) -> AudiencePlan:
    return AudiencePlan.from_list(rev.audiences)


def window_of(rev: Revision) -> Window:
    return Window(rev.window_start, rev.window_end)


def public_now(rev: Revision, now: datetime | None = None) -> bool:
    """May anyone without a staff login see this revision now?"""
    return visibility.public_now(rev.status, plan_of(rev), window_of(rev), now or utcnow())


def public_revision(item: Item | None, now: datetime | None = None) -> Revision | None:
    """The revision of `item` the public may see now, if any (None for no item)."""
    if item is None:
        return None
    now = now or utcnow()
    return next((rev for rev in reversed(item.revisions) if public_now(rev, now)), None)
