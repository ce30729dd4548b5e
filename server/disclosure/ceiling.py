"""The catalog as the ceiling of a revision's audiences and sensitivity (content/ceiling.py), checked
on every write of a draft: a refusal is a 422 naming the field, audited, with nothing of it stored."""
from __future__ import annotations

from sqlalchemy.orm import Session

from content import ceiling
from content.model import Audience, AudiencePlan
from server import audit
from server.models import Category, Revision, User
from server.validation import ServiceError


def category_audiences(cat: Category) -> frozenset[Audience]:
    return Audience.parse_many(cat.audiences or [])


def audience_names(audiences) -> str:
    """Audience codes in the catalog's order, as the catalog's own messages write them."""
    return "、".join(a.value for a in Audience if a in audiences)


def check_ceiling(db: Session, user: User, cat: Category, rev: Revision, action: str, target: str) -> None:
    """422 naming the field when the revision goes beyond its category and no approver's override
    covers it; the refusal is audited and nothing of the request is stored."""
    found = ceiling.problems(AudiencePlan.from_list(rev.audiences), bool(rev.sensitive),
                             category_audiences(cat), cat.sensitive, ceiling.Override.from_dict(rev.override))
    if not found:
        return
    fields = {}
    if "audiences" in found:
        fields["audiences"] = ("beyond_category", {"category": cat.name,
                                                   "audiences": audience_names(found["audiences"])})
    if "sensitive" in found:
        fields["sensitive"] = ("sensitive_category", {"category": cat.name})
    audit.refusal(db, user.username, action, target,
                  {"code": "beyond_category", "category": cat.key, "fields": sorted(fields)})
    raise ServiceError(422, "invalid", fields)
