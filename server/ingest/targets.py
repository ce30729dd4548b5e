"""Which item a dropped file updates — one explicit answer per file, never "the newest draft":

1. the item its name names: `医疗服务价格#12.csv` updates item 12 (which must be in that unit and
   category);
2. else the category's import item (ingest_target: set by an admin under 公开目录, or by the
   category's first import — to its one published table if it has exactly one, else a new item);
3. else, in a category set to "one item per file", a new item (and nothing is remembered).
"""
from __future__ import annotations

import re

from sqlalchemy import select

from content.model import Role
from server import audit
from server.auth import require_roles
from server.ingest.models import IngestTarget
from server.models import Category, Item, Unit, User, utcnow
from server.validation import ServiceError

NAMED = re.compile(r"\s*#\s*(\d{1,9})$")


class Rejected(Exception):
    """A file that cannot become a revision; the message (Chinese) goes into its reason file."""


def split_name(stem: str) -> tuple[str, int | None]:
    """(the stem without a trailing `#<item id>`, that id or None)."""
    found = NAMED.search(stem)
    if not found:
        return stem, None
    return stem[:found.start()], int(found.group(1))


def setting(s, cat: Category) -> IngestTarget | None:
    return s.scalar(select(IngestTarget).where(IngestTarget.category_id == cat.id))


def resolve(s, unit: Unit, cat: Category, named: int | None, pictures: bool = False) -> tuple[Item | None, str]:
    """(the item to update or None for a new one, how it was chosen: named/designated/new/first);
    `pictures` for an image or PDF (whose first import looks for published pictures, not tables)."""
    if named is not None:
        item = s.get(Item, named)
        if item is None or item.unit_id != unit.id or item.category_id != cat.id or item.kind != "item":
            raise Rejected(f"文件名指定的事项 #{named} 不在栏目「{cat.name}」（单位 {unit.code}）中，"
                           "请检查文件名末尾的 #编号")
        return item, "named"
    target = setting(s, cat)
    if target is not None and target.new_items:
        return None, "new"
    if target is not None and target.item_id is not None:
        item = s.get(Item, target.item_id)
        if item is None or item.category_id != cat.id:
            raise Rejected(f"栏目「{cat.name}」指定的导入事项 #{target.item_id} 已不在本栏目，"
                           "请管理员在公开目录中重新指定")
        return item, "designated"
    return _first(s, unit, cat, pictures)


def _first(s, unit: Unit, cat: Category, pictures: bool) -> tuple[Item | None, str]:
    """No import item yet: the category's one published table (or pictures), if it has exactly one
    (an upgraded instance keeps updating its price list); none makes a new item; several are for an
    admin to choose between."""
    from server.disclosure.items import live_revision
    found = s.scalars(select(Item).where(Item.unit_id == unit.id, Item.category_id == cat.id,
                                         Item.kind == "item").order_by(Item.id)).all()
    def shown(live) -> bool:
        return bool(live.attachments) and not live.table if pictures else bool((live.table or {}).get("columns"))
    tables = [i for i in found if (live := live_revision(i)) is not None and shown(live)]
    if len(tables) > 1:
        numbers = "、".join(f"#{i.id}" for i in tables[:6])
        what = "图片或文档" if pictures else "表格"
        raise Rejected(f"栏目「{cat.name}」有 {len(tables)} 个已公开的{what}（{numbers}），不知道该更新哪一个："
                       "请管理员在公开目录中指定导入事项，或在文件名末尾写上 #编号（如 价格表#12.csv）")
    return (tables[0], "first") if tables else (None, "first")


def reserve_first(s, cat: Category, actor: str) -> IngestTarget:
    """Take the category's import setting before the first import makes its item: the row's
    unique category makes a second process importing into the same category at the same moment
    fail here (IntegrityError: it tries again later), not after it made a second item."""
    target = setting(s, cat)
    if target is None:
        target = IngestTarget(category_id=cat.id, item_id=None, new_items=False, set_by=actor, set_at=utcnow())
        s.add(target)
        s.flush()
    return target


def remember_first(s, target: IngestTarget, cat: Category, item: Item, actor: str) -> None:
    """The category's first import sets its import item (recorded like an admin's choice)."""
    target.item_id, target.set_by, target.set_at = item.id, actor, utcnow()
    audit.record(s, actor, "catalog.import_target", f"category:{cat.unit.code}/{cat.key}", None,
                 {"item": item.id, "new_items": False, "by": "first import"})


def check_item(s, unit: Unit, cat: Category, value) -> int | None:
    """The item number an admin typed (blank: none), if it names an item of this category; else 422."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    item = s.get(Item, int(text)) if text.isdigit() and len(text) < 10 else None
    if item is None or item.unit_id != unit.id or item.category_id != cat.id or item.kind != "item":
        raise ServiceError(422, "invalid", {"import_item": ("import_item_elsewhere", {})})
    return item.id


def set_target(s, user: User, unit: Unit, cat: Category, item_id: int | None, new_items: bool) -> IngestTarget:
    """An admin's choice under 公开目录: the import item (an item of this category), or a new item
    per file; 403 without the admin role, 422 for an item outside the category."""
    require_roles(user, unit, Role.ADMIN)
    item_id = check_item(s, unit, cat, item_id)
    target = setting(s, cat)
    before = None if target is None else {"item": target.item_id, "new_items": target.new_items}
    if target is None:
        target = IngestTarget(category_id=cat.id)
        s.add(target)
    target.item_id, target.new_items = (None if new_items else item_id), bool(new_items)
    target.set_by, target.set_at = user.username, utcnow()
    s.flush()
    audit.record(s, user.username, "catalog.import_target", f"category:{unit.code}/{cat.key}", before,
                 {"item": target.item_id, "new_items": target.new_items})
    s.commit()
    return target
