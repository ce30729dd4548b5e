"""Who may see a revision now: the public (every page answering without a staff login) and a screen.

Two rules, both pure, so the server's pages, its feed builder and its push scheduler (and the tests)
ask the same question the same way:

- `public_now`: may anyone without a staff login see this revision now — its title included? Only a
  live revision (published, or scheduled whose window has opened) inside its display window whose
  audience plan is open to patients or the public (`PUBLIC_AUDIENCES`) at that moment.
- `screen_may_receive`: may a screen serving `audiences` hold this revision in its signed feed (and so
  in its on-disk cache) now? Only a live revision whose window has not ended and of which a 先内后外
  step that includes one of those audiences is already open. A window that starts later is fine (the
  screen shows it on time by itself); a step that opens later is not: the revision reaches the screen
  at the step, and `next_step_after` tells the push scheduler when that is.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from content.model import EXTERNAL_AUDIENCES, LIVE_STATUSES, Audience, AudiencePlan, Status, Window

__all__ = ["PUBLIC_AUDIENCES", "next_step_after", "opens_to", "public_now", "screen_may_receive",
           "step_opened_between"]

# Anyone without a staff login counts as the public: the phone pages are open to everybody, and what
# patients may read on a lobby screen is no secret from anyone in the lobby.
PUBLIC_AUDIENCES = EXTERNAL_AUDIENCES


def _status(status) -> Status | None:
    try:
        return Status(status)
    except ValueError:
        return None


def public_now(status, plan: AudiencePlan, window: Window, now: datetime) -> bool:
    """May the public see this revision (even its title) at `now`?"""
    return (_status(status) in LIVE_STATUSES and window.contains(now)
            and bool(plan.at(now) & PUBLIC_AUDIENCES))


def opens_to(plan: AudiencePlan, window_start: datetime | None,
             audiences: Iterable[Audience]) -> datetime | None | bool:
    """When the revision first shows to a screen serving `audiences`: the later of its window start and
    the earliest step that includes one of them (None: from the start); False if it never does."""
    audiences = frozenset(audiences)
    opens = [step.at for step in plan.steps if step.audiences & audiences]
    if not opens:
        return False
    step = None if None in opens else min(opens)
    candidates = [t for t in (window_start, step) if t is not None]
    return max(candidates) if candidates else None


def screen_may_receive(status, plan: AudiencePlan, window: Window, audiences: Iterable[Audience],
                       now: datetime) -> bool:
    """May a screen serving `audiences` hold this revision in its feed at `now`?"""
    if _status(status) not in LIVE_STATUSES or (window.end is not None and window.end <= now):
        return False
    return bool(plan.at(now) & frozenset(audiences))


def next_step_after(plans: Iterable[AudiencePlan], now: datetime) -> datetime | None:
    """The earliest 先内后外 step time after `now` among these plans (the next push boundary)."""
    times = [step.at for plan in plans for step in plan.steps if step.at is not None and step.at > now]
    return min(times) if times else None


def step_opened_between(plans: Iterable[AudiencePlan], since: datetime | None, now: datetime) -> bool:
    """Did a step of these plans open in (since, now]? (None: no step since the beginning counts.)"""
    return any(step.at is not None and step.at <= now and (since is None or step.at > since)
               for plan in plans for step in plan.steps)
