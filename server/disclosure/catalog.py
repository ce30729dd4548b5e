"""公开目录 of one unit as stored rows: the tree for display, and admin edits that are validated by
content.catalog and recorded in the audit log."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.catalog import Catalog, CatalogError, validate_category
from content.model import Audience, Role
from content.searchkeys import slug
from server import audit
from server.auth import require_roles
from server.models import Category, Unit, User
from server.staff import check_department
from server.validation import ServiceError

EDITABLE = ("name", "name_en", "owner", "audiences", "time_rule", "description", "sensitive",
            "disclosure_days")


def unit_categories(db: Session, unit: Unit) -> list[Category]:
    return list(db.scalars(select(Category).where(Category.unit_id == unit.id)
                           .order_by(Category.position, Category.id)))


def tree(db: Session, unit: Unit) -> list[tuple[Category, int]]:
    """Every category with its depth, parents first, siblings in catalog order."""
    rows = unit_categories(db, unit)
    keys = {c.key for c in rows}
    children: dict[str | None, list[Category]] = {}
    for cat in rows:
        parent = cat.parent_key if cat.parent_key in keys else None
        children.setdefault(parent, []).append(cat)
    out: list[tuple[Category, int]] = []

    def walk(parent, depth):
        for cat in children.get(parent, ()):
            if any(cat is seen for seen, _ in out):
                continue
            out.append((cat, depth))
            walk(cat.key, depth + 1)
    walk(None, 0)
    return out


def find(db: Session, unit: Unit, key: str) -> Category:
    cat = db.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == key))
    if cat is None:
        raise ServiceError(404, "not_found")
    return cat


def category_dict(cat: Category) -> dict:
    """The row in the shape content.catalog validates (parent left out for a root)."""
    data = {"key": cat.key, "name": cat.name, "name_en": cat.name_en or "", "owner": cat.owner,
            "audiences": [a.value for a in Audience if a.value in (cat.audiences or [])],
            "time_rule": dict(cat.time_rule or {"kind": "standing"}),
            "description": cat.description or "", "sensitive": bool(cat.sensitive),
            "disclosure_days": cat.disclosure_days}
    if cat.parent_key:
        data["parent"] = cat.parent_key
    return data


def _catalog(rows: list[Category]) -> Catalog | None:
    try:
        return Catalog.from_list([category_dict(c) for c in rows])
    except CatalogError:
        return None


def _free_key(base: str, taken) -> str:
    """`base`, or `base-2`, `base-3` … — the first not taken (keys name ingest folders, so they stay)."""
    base = base or "category"
    n, key = 1, base
    while key in taken:
        n += 1
        key = f"{base[:36]}-{n}"
    return key


def save_category(db: Session, user: User, unit: Unit, data: dict, key: str | None = None) -> Category:
    """Edit the category `key`, or add `data` as a new one; 422 lists every problem in Chinese."""
    require_roles(user, unit, Role.ADMIN)
    rows = unit_categories(db, unit)
    by_key = {c.key: c for c in rows}
    entry = {name: data[name] for name in EDITABLE if name in data}
    cat = None
    if key is not None:
        cat = find(db, unit, key)
        entry["key"] = key
        if cat.parent_key:
            entry["parent"] = cat.parent_key
    else:
        entry["key"] = (data.get("key") or "").strip() or _free_key(slug(data.get("name", "")), by_key)
        if data.get("parent"):
            entry["parent"] = data["parent"]
        if entry["key"] in by_key:
            raise ServiceError(422, "invalid", {"key": ("key_taken", {})})
    owner = (entry.get("owner") or "").strip()
    if owner and (cat is None or owner != cat.owner):   # chosen from the department list
        check_department(db, unit, owner, "owner")
    problems = validate_category(entry, _catalog(rows))
    if problems:
        raise ServiceError(422, "invalid", {"catalog": ("bad_catalog", {"detail": "；".join(problems)})})
    before = category_dict(cat) if cat is not None else None
    if cat is None:
        position = (db.scalar(select(func.max(Category.position))
                              .where(Category.unit_id == unit.id)) or 0) + 1
        cat = Category(unit_id=unit.id, key=entry["key"], parent_key=entry.get("parent"),
                       position=position)
        db.add(cat)
    for name in EDITABLE:
        if name in entry:
            value = entry[name]
            setattr(cat, name, value.strip() if isinstance(value, str) else value)
    db.flush()
    audit.record(db, user.username, "catalog.edit", f"category:{unit.code}/{cat.key}", before,
                 category_dict(cat))
    db.commit()
    return cat
