"""The disclosure workflow as one pure transition function.

draft → submitted (提出) → reviewed (审议) → cleared (保密审查) → approved (审定)
[sensitive items: → escalated approval] → scheduled / published → expired | withdrawn | superseded.
Any review step can reject back to draft with a comment. Nobody reviews, clears or approves a
revision they created, last edited or submitted (its authors), and the escalated approval is by a second
approver. An approver may widen a draft beyond its category (`override`, content/ceiling.py): it changes
no state, it is checked here like any other step and recorded in the history.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from content.model import Role, Status


class Action(str, enum.Enum):
    SUBMIT = "submit"
    REVIEW = "review"
    CLEAR = "clear"
    APPROVE = "approve"
    ESCALATE = "escalate"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    OVERRIDE = "override"    # an approver widens a draft beyond its category (content/ceiling.py)
    # taken by the server's scheduler, never by a person
    OPEN = "open"
    EXPIRE = "expire"
    SUPERSEDE = "supersede"


PERSON_ACTIONS = (Action.SUBMIT, Action.REVIEW, Action.CLEAR, Action.APPROVE, Action.ESCALATE,
                  Action.REJECT, Action.WITHDRAW)
SYSTEM_ACTIONS = (Action.OPEN, Action.EXPIRE, Action.SUPERSEDE)

# action -> (states it may start from, roles that may take it)
RULES: dict[Action, tuple[frozenset[Status], frozenset[Role]]] = {
    Action.SUBMIT: (frozenset({Status.DRAFT}), frozenset({Role.CONTRIBUTOR})),
    Action.REVIEW: (frozenset({Status.SUBMITTED}), frozenset({Role.REVIEWER})),
    Action.CLEAR: (frozenset({Status.REVIEWED}), frozenset({Role.CONFIDENTIALITY})),
    Action.APPROVE: (frozenset({Status.CLEARED}), frozenset({Role.APPROVER})),
    Action.ESCALATE: (frozenset({Status.APPROVED}), frozenset({Role.APPROVER})),
    Action.REJECT: (frozenset({Status.SUBMITTED, Status.REVIEWED, Status.CLEARED, Status.APPROVED}),
                    frozenset({Role.REVIEWER, Role.CONFIDENTIALITY, Role.APPROVER})),
    Action.WITHDRAW: (frozenset({Status.SCHEDULED, Status.PUBLISHED}), frozenset({Role.APPROVER})),
    Action.OVERRIDE: (frozenset({Status.DRAFT}), frozenset({Role.APPROVER})),
    Action.OPEN: (frozenset({Status.SCHEDULED}), frozenset()),
    Action.EXPIRE: (frozenset({Status.SCHEDULED, Status.PUBLISHED}), frozenset()),
    Action.SUPERSEDE: (frozenset({Status.SCHEDULED, Status.PUBLISHED}), frozenset()),
}

COMMENT_REQUIRED = frozenset({Action.REJECT, Action.WITHDRAW})
SIGN_OFF_ACTIONS = frozenset({Action.REVIEW, Action.CLEAR, Action.APPROVE, Action.ESCALATE})


@dataclass(frozen=True)
class Actor:
    """Who takes an action: a person with roles in the item's unit, or the server itself."""

    id: object
    roles: frozenset[Role] = frozenset()
    system: bool = False


SYSTEM = Actor(id="system", system=True)


@dataclass(frozen=True)
class Flow:
    """The workflow state of one revision: its status, who signed each step, and who wrote it
    (`authors`: who created it and who last edited it)."""

    status: Status = Status.DRAFT
    sensitive: bool = False
    submitted_by: object = None
    reviewed_by: object = None
    cleared_by: object = None
    approved_by: object = None
    escalated_by: object = None
    authors: frozenset = frozenset()


class WorkflowError(Exception):
    """An action that may not be taken. `kind` maps to HTTP: role→403, state→409, input→422."""

    def __init__(self, kind: str, code: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message


def apply(flow: Flow, action: Action | str, actor: Actor, *, comment: str = "",
          now: datetime | None = None, window_start: datetime | None = None) -> Flow:
    """Return the flow after `actor` takes `action`, or raise WorkflowError."""
    action = _parse(action)
    states, roles = RULES[action]
    if action in SYSTEM_ACTIONS:
        if not actor.system:
            raise WorkflowError("role", "system_only", "only the server takes this action")
    elif not (roles & actor.roles):
        raise WorkflowError("role", "role_missing", f"action {action.value} needs one of the roles "
                            + ", ".join(sorted(r.value for r in roles)))
    if flow.status not in states:
        raise WorkflowError("state", "bad_state",
                            f"action {action.value} is not allowed in state {flow.status.value}")
    if action in SIGN_OFF_ACTIONS and actor.id == flow.submitted_by:
        raise WorkflowError("role", "own_submission", "nobody may review or approve their own submission")
    if action in SIGN_OFF_ACTIONS and actor.id in flow.authors:
        raise WorkflowError("role", "own_revision", "nobody may review or approve a revision they wrote")
    if action is Action.ESCALATE and actor.id == flow.approved_by:
        raise WorkflowError("role", "same_approver", "the escalated approval needs a second approver")
    if action in COMMENT_REQUIRED and not comment.strip():
        raise WorkflowError("input", "comment_required", "a comment (reason) is required")
    return _next(flow, action, actor, now, window_start)


def _parse(action) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise WorkflowError("input", "unknown_action", f"unknown action: {action!r}") from None


def _published(flow: Flow, now, window_start, **signed) -> Flow:
    opens_later = window_start is not None and now is not None and window_start > now
    return replace(flow, status=Status.SCHEDULED if opens_later else Status.PUBLISHED, **signed)


def _next(flow: Flow, action: Action, actor: Actor, now, window_start) -> Flow:
    who = actor.id
    if action is Action.SUBMIT:
        return Flow(status=Status.SUBMITTED, sensitive=flow.sensitive, submitted_by=who, authors=flow.authors)
    if action is Action.REVIEW:
        return replace(flow, status=Status.REVIEWED, reviewed_by=who)
    if action is Action.CLEAR:
        return replace(flow, status=Status.CLEARED, cleared_by=who)
    if action is Action.APPROVE:
        if flow.sensitive:
            return replace(flow, status=Status.APPROVED, approved_by=who)
        return _published(flow, now, window_start, approved_by=who)
    if action is Action.ESCALATE:
        return _published(flow, now, window_start, escalated_by=who)
    if action is Action.REJECT:
        return Flow(status=Status.DRAFT, sensitive=flow.sensitive, authors=flow.authors)
    if action is Action.OVERRIDE:
        return flow
    target = {Action.WITHDRAW: Status.WITHDRAWN, Action.OPEN: Status.PUBLISHED,
              Action.EXPIRE: Status.EXPIRED, Action.SUPERSEDE: Status.SUPERSEDED}[action]
    return replace(flow, status=target)


def allowed_actions(flow: Flow, actor: Actor) -> list[Action]:
    """The person actions `actor` could take now (for buttons and work queues)."""
    out = []
    for action in PERSON_ACTIONS:
        try:
            apply(flow, action, actor, comment="x")
        except WorkflowError:
            continue
        out.append(action)
    return out


FORWARD = (Action.SUBMIT, Action.REVIEW, Action.CLEAR, Action.APPROVE, Action.ESCALATE)


def next_action(flow: Flow) -> Action | None:
    """The step that moves the revision forward from where it stands (None once it is live or done)."""
    return next((a for a in FORWARD if flow.status in RULES[a][0]), None)


def publishes(flow: Flow, action: Action | str) -> bool:
    """Would `action` make the revision live (published, or scheduled for its window)?"""
    action = _parse(action)
    return action is Action.ESCALATE or (action is Action.APPROVE and not flow.sensitive)


def fully_signed(flow: Flow) -> bool:
    """True when every required step was signed by permitted, distinct people."""
    people = [flow.submitted_by, flow.reviewed_by, flow.cleared_by, flow.approved_by]
    if flow.sensitive:
        people.append(flow.escalated_by)
    if any(p is None for p in people):
        return False
    submitter = flow.submitted_by
    if submitter in people[1:] or set(people[1:]) & set(flow.authors):
        return False
    return not flow.sensitive or flow.escalated_by != flow.approved_by


def acting_role(action: Action | str, from_status: Status | str) -> Role | None:
    """The role a person took `action` in, from RULES: the action's one role, or for a reject the
    role whose sign-off the revision was waiting for (公开办 at 已提交, 保密审查 at 已审议 …).
    None for the server's own steps."""
    try:
        action, from_status = Action(action), Status(from_status)
    except ValueError:
        return None
    if action is Action.REJECT:
        signer = next((a for a in SIGN_OFF_ACTIONS if from_status in RULES[a][0]), None)
        return acting_role(signer, from_status) if signer else None
    roles = RULES[action][1]
    return next(iter(roles)) if len(roles) == 1 else None
