"""督查通报 drafting: from the bureau's 公开监督 summary of its member hospitals, a draft item of the
bureau's own (category 督查通报, staff only) with the figures in words, the per-hospital table as its
table, and one finding per hospital × non-zero finding kind stored beside it. From there the circular
is an ordinary item: edited as a draft, then submit → review → clear → approve by the bureau's own
people (server.disclosure.items.take_action), and once published it reaches the member hospitals'
staff screens like any bureau item (server/screens/device_feed.py)."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.model import Role
from server import audit
from server.auth import require_roles
from server.bureau.findings import FINDING_KINDS, figures
from server.bureau.models import Circular, Finding
from server.disclosure import items
from server.i18n import term, text_in
from server.models import Category, Item, Unit, User, utcnow
from server.oversight import compliance
from server.validation import ServiceError
from server.workdays import local

CATEGORY_KEY = "supervision-circulars"
CATEGORY_PARENT = "internal"          # 院务公开·对内: staff, never patients or the public
DRAFTERS = (Role.SUPERVISOR,)         # who may start one (and, to hold a draft, a contributor too)
LANGUAGE = "zh"                       # the circular is content: written in Chinese like every item
DEFAULT_DAYS = 10


def rectification_days() -> int:
    return int(current_app.config.get("RECTIFICATION_DAYS", DEFAULT_DAYS))


def category(s: Session, user: User, bureau: Unit) -> Category:
    """The bureau's 督查通报 category, added to its catalog the first time (only bureaus get one:
    the default catalog is every hospital's, and a hospital has nobody to send a circular to)."""
    cat = s.scalar(select(Category).where(Category.unit_id == bureau.id, Category.key == CATEGORY_KEY))
    if cat is not None:
        return cat
    parent = s.scalar(select(Category).where(Category.unit_id == bureau.id, Category.key == CATEGORY_PARENT))
    position = (s.scalar(select(func.max(Category.position)).where(Category.unit_id == bureau.id)) or 0) + 1
    cat = Category(unit_id=bureau.id, key=CATEGORY_KEY, name=text_in(LANGUAGE, "cir.category"),
                   name_en=text_in("en", "cir.category"), parent_key=parent.key if parent else None,
                   owner=text_in(LANGUAGE, "cir.category_owner"), audiences=["staff"],
                   time_rule={"kind": "standing"}, description=text_in(LANGUAGE, "cir.category_about"),
                   sensitive=False, disclosure_days=20, position=position)
    s.add(cat)
    s.flush()
    audit.record(s, user.username, "circular.category", f"category:{bureau.code}/{CATEGORY_KEY}", None,
                 {"name": cat.name, "audiences": cat.audiences})
    return cat


def summary(s: Session, bureau: Unit, today: date) -> list[dict]:
    """Per member hospital: its unit and kind → figure (server/bureau/findings.py)."""
    return [{"unit": m["unit"], "figures": figures(s, m["unit"], m["totals"])}
            for m in compliance.members(s, bureau, today)]


def table_of(rows: list[dict]) -> dict:
    """The per-hospital table of the circular: one row per member, one column per finding kind."""
    columns = [text_in(LANGUAGE, "cir.col.unit")] + [term("cir.kind", k.key, language=LANGUAGE)
                                                     for k in FINDING_KINDS]
    return {"columns": columns,
            "rows": [[r["unit"].name] + [str(r["figures"][k.key]) for k in FINDING_KINDS] for r in rows]}


def body_of(bureau: Unit, rows: list[dict], today: date, days: int) -> str:
    """The figures in words: an opening, one paragraph per hospital, what is asked of them."""
    day = f"{today.year}年{today.month}月{today.day}日"
    lines = [text_in(LANGUAGE, "cir.body.opening", bureau=bureau.name, day=day, n=len(rows), year=today.year,
                     month=today.month), ""]
    for r in rows:
        found = [text_in(LANGUAGE, "cir.body.figure", label=term("cir.kind", k.key, language=LANGUAGE),
                         n=r["figures"][k.key]) for k in FINDING_KINDS if r["figures"][k.key]]
        said = "；".join(found) if found else text_in(LANGUAGE, "cir.body.clear")
        lines.append(f"- **{r['unit'].name}**：{said}。")
    lines += ["", text_in(LANGUAGE, "cir.body.ask", days=days)]
    return "\n".join(lines)


def draft(s: Session, user: User, bureau: Unit, today: date | None = None) -> Circular:
    """起草督查通报: a bureau supervisor who is also a contributor there drafts the circular of the
    bureau's current summary; 409 for a unit that is not a bureau or has no member hospitals."""
    require_roles(user, bureau, *DRAFTERS)
    require_roles(user, bureau, Role.CONTRIBUTOR)
    if bureau.kind != "bureau":
        raise ServiceError(409, "cir.not_bureau")
    today = today or local(utcnow()).date()
    rows = summary(s, bureau, today)
    if not rows:
        raise ServiceError(409, "cir.no_members")
    days = rectification_days()
    cat = category(s, user, bureau)
    title = text_in(LANGUAGE, "cir.title_text", year=today.year, month=today.month)
    item = items.create_draft(s, user, bureau, {"category": cat.key, "title": title,
                                                "body": body_of(bureau, rows, today, days)},
                              table=table_of(rows))
    circular = Circular(item_id=item.id, bureau_id=bureau.id, month=today.strftime("%Y-%m"),
                        rectification_days=days, created_by=user.id)
    for r in rows:
        for kind in FINDING_KINDS:
            if r["figures"][kind.key]:
                circular.findings.append(Finding(unit_id=r["unit"].id, kind=kind.key,
                                                 figure=r["figures"][kind.key]))
    s.add(circular)
    s.flush()
    audit.record(s, user.username, "circular.draft", f"circular:{circular.id}", None,
                 {"item": item.id, "month": circular.month, "days": days,
                  "findings": [[f.unit_id, f.kind, f.figure] for f in circular.findings]})
    s.commit()
    return circular


def of_item(s: Session, item: Item) -> Circular | None:
    """The circular an item carries, if it is one."""
    return s.scalar(select(Circular).where(Circular.item_id == item.id))


def bureau_circulars(s: Session, bureau: Unit) -> list[Circular]:
    """A bureau's circulars, newest first."""
    return list(s.scalars(select(Circular).where(Circular.bureau_id == bureau.id).order_by(Circular.id.desc())))
