"""Who acts next on an item, so the item page and the work queue can say it: the step that moves
the working revision forward (content.lifecycle.next_action) and the people who may take it now —
found with the workflow's own rule, so the submitter and, for 再审定, the first approver drop out."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from content.lifecycle import RULES, Action, allowed_actions, next_action
from server.auth import INHERITED_FROM_BUREAU, roles_in
from server.disclosure.items import actor_for, flow_of, working_revision
from server.models import Item, RoleGrant, User


@dataclass(frozen=True)
class NextStep:
    action: Action
    roles: tuple[str, ...]      # the roles that take it (role vocabulary values)
    people: tuple[User, ...]    # active accounts that may take it now


def next_step(s: Session, item: Item) -> NextStep | None:
    """The next forward step on the item's working revision and who may take it; None when none is in
    the workflow (a live or finished item)."""
    rev = working_revision(item)
    if rev is None:
        return None
    flow = flow_of(rev)
    action = next_action(flow)
    if action is None:
        return None
    roles = RULES[action][1]
    unit = item.unit
    grants = or_(RoleGrant.unit_id == unit.id,
                 (RoleGrant.unit_id == unit.parent_id) & RoleGrant.role.in_([r.value for r in INHERITED_FROM_BUREAU]))
    candidates = s.scalars(select(User).join(RoleGrant).where(
        grants, RoleGrant.role.in_([r.value for r in roles]), User.active.is_(True)).distinct()).all()
    people = [u for u in candidates if roles_in(u, unit) & roles
              and action in allowed_actions(flow, actor_for(u, unit))]
    people.sort(key=lambda u: (u.display_name or u.username))
    return NextStep(action, tuple(sorted(r.value for r in roles)), tuple(people))
