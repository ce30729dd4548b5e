"""Need-to-know for drafts: who among a unit's staff may see an item while a revision of it is in the
workflow (draft to approved).

Ordinary drafts are visible to everyone holding a role in the unit. A draft is *confidential* when its
category is sensitive, the revision is marked sensitive, or its category is a party category (open to
党员 and to neither patients nor the public: 党务 material not meant to go out). A confidential draft is
visible only to the people in its workflow: the unit's reviewers, confidentiality reviewers, approvers
and supervisors (a bureau's approvers and supervisors carry down), and the contributors who wrote it
(created, edited or submitted it). A handler or an admin without one of those roles does not see it,
nor does a contributor who did not write it. Once nothing is in progress (live or ended), the item is
visible to the unit's role holders again.
"""
from __future__ import annotations

from typing import Iterable

from content.model import EXTERNAL_AUDIENCES, Audience, Role

__all__ = ["WORKFLOW_READERS", "confidential", "may_see", "party_category"]

WORKFLOW_READERS = frozenset({Role.REVIEWER, Role.CONFIDENTIALITY, Role.APPROVER, Role.SUPERVISOR})


def party_category(category_audiences: Iterable[Audience]) -> bool:
    """Open to 党员 and to neither patients nor the public."""
    audiences = frozenset(category_audiences)
    return Audience.PARTY in audiences and not audiences & EXTERNAL_AUDIENCES


def confidential(category_audiences: Iterable[Audience], category_sensitive: bool, sensitive: bool) -> bool:
    """Whether a draft of this category (and sensitivity) is on a need-to-know basis."""
    return bool(category_sensitive or sensitive or party_category(category_audiences))


def may_see(roles: Iterable[Role], person, authors: Iterable, *, confidential: bool,
            in_progress: bool) -> bool:
    """May someone with `roles` in the item's unit see it? `authors`: who created, edited or
    submitted it; `in_progress`: a revision is between draft and approved."""
    roles = frozenset(roles)
    if not roles:
        return False
    if not (confidential and in_progress):
        return True
    return bool(roles & WORKFLOW_READERS) or (Role.CONTRIBUTOR in roles and person in set(authors))
