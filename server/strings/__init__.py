"""Every string people read, in one catalogue: key -> (中文, English), split by area only to keep files short.

Keys are codes with `{parameters}`; server/i18n.py looks them up (`t`, `term`). A key is defined once:
importing this package fails if two areas define the same key.
"""
from __future__ import annotations

from server.strings import admin, commitments, errors, feedback, ingest, oversight, public, security, signage, terms
from server.strings import branding, trust
from server.strings import boards, bureau, submissions

AREAS = (errors, terms, admin, feedback, oversight, commitments, signage, public, ingest, security, trust, branding,
         boards, bureau, submissions)


def _merge() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for area in AREAS:
        twice = merged.keys() & area.STRINGS.keys()
        if twice:
            raise ValueError(f"{area.__name__} defines keys defined elsewhere: {sorted(twice)}")
        merged.update(area.STRINGS)
    return merged


CATALOGUE: dict[str, tuple[str, str]] = _merge()

# The vocabularies term(kind, value) reads: key `kind.value`. Their values are declared in code (e.g.
# content.model.Status, server.hearing.feedback.KINDS); tests/test_strings.py checks each has its entries.
VOCABULARIES = (
    "status", "action", "audience", "role", "time_rule", "period", "screen", "step", "weekday",
    "committer_kind", "pledge_status", "kind", "ch", "fbst", "rating", "ans", "idt", "dl", "badge", "filter",
    "mail", "fb.done", "rq.done", "sg.slide", "cmp.st", "cmp.out", "cmp.scope", "pub.st", "pub.id", "idcard",
    "brd.size", "brd.orientation", "brd.reason",
    "cir.kind", "cir.st",
    "sub.st",
)
