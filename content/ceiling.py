"""The catalog is the ceiling: a revision reaches at most its category's audiences, and an item of a
sensitive category is sensitive (it needs the escalated approval).

Going beyond — wider audiences, or un-marking a sensitive category's item — is an approver's explicit
override with a reason (`Override`), stored with the revision and shown in its history; without one the
server refuses the edit. Narrowing (fewer audiences, marking an item sensitive) is always allowed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from content.model import Audience, AudiencePlan

__all__ = ["Override", "beyond", "problems"]


@dataclass(frozen=True)
class Override:
    """What an approver allowed beyond the category: these extra audiences, and/or not sensitive."""

    audiences: frozenset[Audience] = frozenset()
    unmark: bool = False

    def to_dict(self) -> dict:
        return {"audiences": [a.value for a in Audience if a in self.audiences], "unmark": self.unmark}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Override | None":
        if not data:
            return None
        return cls(Audience.parse_many(data.get("audiences") or []), bool(data.get("unmark")))


def beyond(plan: AudiencePlan, sensitive: bool, category_audiences: Iterable[Audience],
           category_sensitive: bool) -> Override:
    """What these values take beyond the category (an empty Override when nothing)."""
    wider = plan.all() - frozenset(category_audiences)
    return Override(frozenset(wider), bool(category_sensitive and not sensitive))


def problems(plan: AudiencePlan, sensitive: bool, category_audiences: Iterable[Audience],
             category_sensitive: bool, override: Override | None = None) -> dict[str, frozenset | bool]:
    """Field → what is beyond the ceiling and not covered by `override`; empty when within it.

    "audiences": the audiences beyond the category's; "sensitive": True when a sensitive category's
    item is not marked sensitive.
    """
    over = beyond(plan, sensitive, category_audiences, category_sensitive)
    allowed = override or Override()
    out: dict[str, frozenset | bool] = {}
    extra = over.audiences - allowed.audiences
    if extra:
        out["audiences"] = extra
    if over.unmark and not allowed.unmark:
        out["sensitive"] = True
    return out
