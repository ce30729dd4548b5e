"""The workflow transition function: each rule, and property tests over random action sequences."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from content.lifecycle import (SYSTEM, Action, Actor, Flow, WorkflowError, allowed_actions, apply,
                               fully_signed)
from content.model import Role, Status

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))
ALICE = Actor("alice", frozenset({Role.CONTRIBUTOR}))
BOB = Actor("bob", frozenset({Role.REVIEWER}))
CAROL = Actor("carol", frozenset({Role.CONFIDENTIALITY}))
DAN = Actor("dan", frozenset({Role.APPROVER}))
ERIN = Actor("erin", frozenset({Role.APPROVER}))
EVERYTHING = frozenset(Role)


def run(flow, *steps):
    for action, actor in steps:
        flow = apply(flow, action, actor, comment="ok", now=NOW)
    return flow


def test_happy_path_publishes():
    flow = run(Flow(), ("submit", ALICE), ("review", BOB), ("clear", CAROL), ("approve", DAN))
    assert flow.status is Status.PUBLISHED
    assert (flow.submitted_by, flow.reviewed_by, flow.cleared_by, flow.approved_by) == \
        ("alice", "bob", "carol", "dan")
    assert fully_signed(flow)


def test_future_window_is_scheduled_then_opened_by_the_server():
    flow = run(Flow(), ("submit", ALICE), ("review", BOB), ("clear", CAROL))
    flow = apply(flow, "approve", DAN, now=NOW, window_start=NOW + timedelta(days=1))
    assert flow.status is Status.SCHEDULED
    with pytest.raises(WorkflowError) as err:
        apply(flow, "open", DAN)
    assert err.value.kind == "role"
    assert apply(flow, "open", SYSTEM).status is Status.PUBLISHED


def test_sensitive_item_needs_a_second_approver():
    flow = run(Flow(sensitive=True), ("submit", ALICE), ("review", BOB), ("clear", CAROL),
               ("approve", DAN))
    assert flow.status is Status.APPROVED
    with pytest.raises(WorkflowError) as err:
        apply(flow, "escalate", DAN)
    assert err.value.code == "same_approver"
    flow = apply(flow, "escalate", ERIN, now=NOW)
    assert flow.status is Status.PUBLISHED and fully_signed(flow)


@pytest.mark.parametrize("action", ["review", "clear", "approve"])
def test_nobody_signs_off_their_own_submission(action):
    boss = Actor("boss", EVERYTHING)
    flow = run(Flow(), ("submit", boss))
    flow = {"review": flow, "clear": run(flow, ("review", BOB)),
            "approve": run(flow, ("review", BOB), ("clear", CAROL))}[action]
    with pytest.raises(WorkflowError) as err:
        apply(flow, action, boss)
    assert (err.value.kind, err.value.code) == ("role", "own_submission")


@pytest.mark.parametrize("action,actor", [("review", ALICE), ("clear", BOB), ("approve", CAROL),
                                          ("submit", DAN), ("withdraw", BOB)])
def test_wrong_role_is_refused(action, actor):
    with pytest.raises(WorkflowError) as err:
        apply(Flow(), action, actor)
    assert err.value.kind == "role"


def test_wrong_state_is_a_conflict():
    with pytest.raises(WorkflowError) as err:
        apply(Flow(), "approve", DAN)
    assert err.value.kind == "state"


def test_reject_needs_a_comment_and_returns_to_draft_unsigned():
    flow = run(Flow(), ("submit", ALICE), ("review", BOB))
    with pytest.raises(WorkflowError) as err:
        apply(flow, "reject", CAROL, comment="  ")
    assert err.value.kind == "input"
    flow = apply(flow, "reject", CAROL, comment="涉及个人隐私")
    assert flow == Flow(status=Status.DRAFT)


def test_withdraw_needs_a_reason():
    flow = run(Flow(), ("submit", ALICE), ("review", BOB), ("clear", CAROL), ("approve", DAN))
    with pytest.raises(WorkflowError):
        apply(flow, "withdraw", ERIN, comment="")
    assert apply(flow, "withdraw", ERIN, comment="价格调整").status is Status.WITHDRAWN


def test_unknown_action_is_invalid_input():
    with pytest.raises(WorkflowError) as err:
        apply(Flow(), "publish-now", DAN)
    assert err.value.kind == "input"


def test_allowed_actions_for_buttons():
    flow = run(Flow(), ("submit", ALICE))
    assert allowed_actions(flow, BOB) == [Action.REVIEW, Action.REJECT]
    assert allowed_actions(flow, ALICE) == []


# --- property tests -------------------------------------------------------------------------

PEOPLE = [Actor(f"p{i}", frozenset(roles)) for i, roles in enumerate([
    {Role.CONTRIBUTOR}, {Role.CONTRIBUTOR, Role.REVIEWER}, {Role.REVIEWER, Role.CONFIDENTIALITY},
    {Role.CONFIDENTIALITY, Role.APPROVER}, {Role.APPROVER}, set(Role), {Role.HANDLER},
    {Role.APPROVER, Role.CONTRIBUTOR}])] + [SYSTEM]

steps = st.lists(st.tuples(st.sampled_from(list(Action)), st.sampled_from(PEOPLE),
                           st.sampled_from(["", "理由"]), st.booleans()), max_size=40)


def history_ok(flow_before: Flow, action: Action, actor: Actor) -> bool:
    """Independent restatement of who may do what, to check apply() against."""
    roles = actor.roles
    need = {Action.SUBMIT: Role.CONTRIBUTOR, Action.REVIEW: Role.REVIEWER,
            Action.CLEAR: Role.CONFIDENTIALITY, Action.APPROVE: Role.APPROVER,
            Action.ESCALATE: Role.APPROVER, Action.WITHDRAW: Role.APPROVER, Action.OVERRIDE: Role.APPROVER}
    if action in (Action.OPEN, Action.EXPIRE, Action.SUPERSEDE):
        return actor.system
    if action is Action.REJECT:
        return bool(roles & {Role.REVIEWER, Role.CONFIDENTIALITY, Role.APPROVER})
    return need[action] in roles


@settings(max_examples=400, deadline=None)
@given(sensitive=st.booleans(), sequence=steps,
       authors=st.sets(st.sampled_from([p.id for p in PEOPLE]), max_size=2))
def test_no_path_reaches_published_without_every_step(sensitive, sequence, authors):
    flow = Flow(sensitive=sensitive, authors=frozenset(authors))
    signers = []
    for action, actor, comment, future in sequence:
        before = flow
        try:
            flow = apply(flow, action, actor, comment=comment, now=NOW,
                         window_start=NOW + timedelta(hours=1) if future else None)
        except WorkflowError:
            assert flow == before
            continue
        assert history_ok(before, action, actor), (action, actor)
        if action is Action.SUBMIT:
            signers = [actor]
        elif action in (Action.REVIEW, Action.CLEAR, Action.APPROVE, Action.ESCALATE):
            assert actor.id not in authors      # nobody signs off a revision they wrote
            signers.append(actor)
        elif action is Action.OVERRIDE:
            assert flow == before               # the override changes no state
        if flow.status in (Status.PUBLISHED, Status.SCHEDULED) and before.status not in (
                Status.PUBLISHED, Status.SCHEDULED):
            assert fully_signed(flow)
            expected = 5 if sensitive else 4
            assert len(signers) == expected
            assert signers[0] not in signers[1:]
            if sensitive:
                assert signers[3] != signers[4]
            assert [Role.CONTRIBUTOR in signers[0].roles, Role.REVIEWER in signers[1].roles,
                    Role.CONFIDENTIALITY in signers[2].roles, Role.APPROVER in signers[3].roles] \
                == [True] * 4


@settings(max_examples=200, deadline=None)
@given(sequence=steps)
def test_final_states_are_final(sequence):
    flow = Flow()
    for action, actor, comment, _ in sequence:
        try:
            nxt = apply(flow, action, actor, comment=comment, now=NOW)
        except WorkflowError:
            continue
        assert flow.status not in (Status.EXPIRED, Status.WITHDRAWN, Status.SUPERSEDED)
        flow = nxt


@pytest.mark.parametrize("action", ["review", "clear", "approve", "escalate"])
def test_nobody_signs_off_a_revision_they_created_or_last_edited(action):
    """The attack: the author of a draft lets someone else click submit, then reviews, clears and
    approves it themselves."""
    boss = Actor("boss", EVERYTHING)
    for authors in ({"boss"}, {"alice", "boss"}):
        flow = run(Flow(sensitive=True, authors=frozenset(authors)), ("submit", ALICE))
        before = {"review": [], "clear": [("review", BOB)], "approve": [("review", BOB), ("clear", CAROL)],
                  "escalate": [("review", BOB), ("clear", CAROL), ("approve", DAN)]}[action]
        flow = run(flow, *before)
        with pytest.raises(WorkflowError) as err:
            apply(flow, action, boss, now=NOW)
        assert (err.value.kind, err.value.code) == ("role", "own_revision")
        assert Action(action) not in allowed_actions(flow, boss)
    assert not fully_signed(Flow(status=Status.PUBLISHED, submitted_by="alice", reviewed_by="boss",
                                 cleared_by="carol", approved_by="dan", authors=frozenset({"boss"})))


def test_override_is_an_approvers_step_on_a_draft_and_changes_nothing_else():
    draft = Flow(authors=frozenset({"alice"}))
    assert apply(draft, "override", DAN) == draft
    with pytest.raises(WorkflowError) as err:
        apply(draft, "override", ALICE)
    assert err.value.kind == "role"
    with pytest.raises(WorkflowError) as err:
        apply(run(draft, ("submit", ALICE)), "override", DAN)
    assert err.value.kind == "state"
    assert Action.OVERRIDE not in allowed_actions(draft, DAN)   # not a button among the workflow steps
