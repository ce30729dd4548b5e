"""What a dropped file's content becomes on its target item, and the reason file's words for it.

A table or a set of pictures identical to the target's current one (its draft if it has one,
else its live revision) is a duplicate and makes nothing; anything else makes a revision — a new
item, a 更正 of the live one, or an update of the draft the import account made itself. A 更正's
reason (published as the 更正说明 on approval) is written from the final file's changes and never
names the file. Every table's reason gives rows added, removed and changed, and the warnings the
reviewer sees above the diff."""
from __future__ import annotations

from dataclasses import dataclass, field

from content.model import Status
from content.tablediff import diff_tables, table_warnings
from server.disclosure import items
from server.disclosure.csvread import DELIMITER_NAMES, TableRead, read_table
from server.disclosure.table_review import warning_msgs
from server.disclosure.uploads import store_visuals
from server.i18n import term, text_in
from server.ingest import targets
from server.ingest.inbox import local_day
from server.ingest.targets import Rejected
from server.models import Category, Item, Unit, User
from server.validation import ServiceError


@dataclass
class Made:
    """What became of a file: `processed` or `duplicate`, the item and revision, the reason lines."""

    outcome: str
    item: Item
    number: int
    lines: list[str] = field(default_factory=list)


def service_reason(exc: ServiceError, what: str) -> str:
    """A refusal's details in Chinese, like the reason files always are."""
    details = [params.get("detail") or code for code, params in exc.fields.values()] or [exc.code]
    return f"{what}：" + "；".join(text_in("zh", d[0], **d[1]) if isinstance(d, tuple) else str(d) for d in details)


def title_for(cat: Category, stem: str, cfg) -> str:
    """The file name when it says something in Chinese, else the category's name and the day."""
    stem = stem.strip()
    if any("\u3400" <= ch <= "\u9fff" for ch in stem):
        return stem[:200]
    return f"{cat.name}（{local_day(cfg['TIMEZONE_OFFSET_HOURS'])} 导入）"[:200]


def _open_target(item: Item, user: User):
    """(working draft or None, live or None) of an existing target, refusing what may not change."""
    working, live = items.working_revision(item), items.live_revision(item)
    title = (working or live or item.revisions[-1]).title
    if working is not None and working.status != Status.DRAFT.value:
        raise Rejected(f"事项 #{item.id}「{title}」已有第 {working.number} 版正在办理"
                       f"（{term('status', working.status, language='zh')}），请办结后再投放此文件")
    if working is not None and working.created_by != user.id:
        raise Rejected(f"事项 #{item.id}「{title}」有一份联络员正在编辑的草稿（第 {working.number} 版），"
                       "为不覆盖其修改，请先提交或删除该草稿，再投放此文件")
    if working is None and live is None:
        raise Rejected(f"事项 #{item.id}「{title}」已撤销或已过期，没有可以更新的版本；"
                       "请在公开目录中另行指定导入事项")
    return working, live


def _table_lines(read: TableRead, base: dict | None, base_label: str, cfg) -> tuple[list[str], str]:
    """The reason's lines about the table, and the summary a 更正说明 is written from."""
    table = read.table
    lines = [f"表格：{len(table['rows'])} 行 × {len(table['columns'])} 列，{read.encoding} 编码，"
             f"{DELIMITER_NAMES[read.delimiter]}分隔"]
    keys = cfg["TABLE_DIFF_KEYS"]
    diff = diff_tables(base, table, preferred=keys) if base and base.get("columns") else None
    summary = f"共 {len(table['rows'])} 行"
    if diff is not None:
        counts = (f"新增 {len(diff.added)} 行，删除 {len(diff.removed)} 行，修改 {len(diff.changed)} 行，"
                  f"未变 {diff.unchanged} 行")
        keyed = f"（按「{diff.key_column}」列对应）" if diff.key_column else "（按整行比较）"
        lines.append(f"与{base_label}相比：{counts}{keyed}")
        summary = (f"新增 {len(diff.added)} 行、删除 {len(diff.removed)} 行、修改 {len(diff.changed)} 行，"
                   f"现共 {len(table['rows'])} 行")
    lines += [f"说明：{text_in('zh', 'csv.note', note=note)}" for note in read.notes]
    warnings = warning_msgs(table_warnings(base if diff is not None else None, table, keys, diff))
    lines += [f"注意：{text_in('zh', 'diff.warning', warning=warning)}" for warning in warnings]
    return lines, summary


def ingest_table(s, cfg, user: User, unit: Unit, cat: Category, stem: str, named: int | None,
                 data: bytes) -> Made:
    try:
        read = read_table(data, cfg["MAX_TABLE_ROWS"])
    except ServiceError as exc:
        raise Rejected(service_reason(exc, "CSV 无法导入")) from None
    item, how = targets.resolve(s, unit, cat, named)
    table = read.table
    reserved = targets.reserve_first(s, cat, user.username) if how == "first" else None
    if item is None:
        lines, _summary = _table_lines(read, None, "", cfg)
        item = items.create_draft(s, user, unit, {"category": cat.key, "title": title_for(cat, stem, cfg),
                                                  "body": ""})
        if reserved is not None:
            targets.remember_first(s, reserved, cat, item, user.username)
        rev = items.working_revision(item)
        items.edit_draft(s, user, item, {"table": table}, rev.edit_version)
        return Made("processed", item, rev.number, [_head(item, rev, "新事项草稿", how)] + lines)
    if reserved is not None:
        targets.remember_first(s, reserved, cat, item, user.username)
    working, live = _open_target(item, user)
    current = working or live
    if (current.table or {}) == table:
        return Made("duplicate", item, current.number,
                    [f"未生成修订：内容与事项 #{item.id}「{current.title}」第 {current.number} 版"
                     f"（{term('status', current.status, language='zh')}）的表格完全相同"])
    base, label = (live.table, f"已公开的第 {live.number} 版") if live is not None and live.table else \
        ((working.table, "被替换的草稿") if working is not None else (None, ""))
    lines, summary = _table_lines(read, base, label, cfg)
    if working is None:
        rev = items.start_correction(s, user, item, f"{cat.name}更新：{summary}。")
        what = "更正草稿"
    else:
        rev = working
        if live is not None:
            rev.reason = f"{cat.name}更新：{summary}。"
        what = "更新了尚未提交的导入草稿"
    items.edit_draft(s, user, item, {"table": table}, rev.edit_version)
    return Made("processed", item, rev.number, [_head(item, rev, what, how)] + lines)


def ingest_visuals(s, cfg, user: User, unit: Unit, cat: Category, stem: str, named: int | None,
                   data: bytes, filename: str) -> Made:
    try:
        metas = store_visuals(data, cfg["MEDIA_DIR"], cfg["MAX_IMAGE_PIXELS"])
    except ServiceError as exc:
        raise Rejected(service_reason(exc, "文件无法导入")) from None
    pictures = f"{len(metas)} 张图片" + ("（PDF 每页一张）" if len(metas) > 1 or data[:5] == b"%PDF-" else "")
    item, how = targets.resolve(s, unit, cat, named, pictures=True)
    reserved = targets.reserve_first(s, cat, user.username) if how == "first" else None
    if item is None:
        item = items.create_draft(s, user, unit, {"category": cat.key, "title": title_for(cat, stem, cfg),
                                                  "body": ""})
        if reserved is not None:
            targets.remember_first(s, reserved, cat, item, user.username)
        _attach(s, user, item, metas, filename)
        return Made("processed", item, 1, [_head(item, items.working_revision(item), "新事项草稿", how), pictures])
    if reserved is not None:
        targets.remember_first(s, reserved, cat, item, user.username)
    working, live = _open_target(item, user)
    current = working or live
    if [a.sha256 for a in current.attachments] == [m["sha256"] for m in metas]:
        return Made("duplicate", item, current.number,
                    [f"未生成修订：图片与事项 #{item.id}「{current.title}」第 {current.number} 版"
                     f"（{term('status', current.status, language='zh')}）的完全相同"])
    if working is None:
        rev = items.start_correction(s, user, item, f"{cat.name}更新：更换为新的 {len(metas)} 张图片。")
        what = "更正草稿"
    else:
        rev = working
        rev.attachments = []
        if live is not None:
            rev.reason = f"{cat.name}更新：更换为新的 {len(metas)} 张图片。"
        what = "更新了尚未提交的导入草稿"
    _attach(s, user, item, metas, filename)
    return Made("processed", item, rev.number, [_head(item, rev, what, how), f"{pictures}，替换原有图片"])


def _attach(s, user: User, item: Item, metas: list[dict], filename: str) -> None:
    name = filename[:180]   # kept with its extension: signage tells a document by ".pdf" in it
    for page, meta in enumerate(metas):
        items.attach_image(s, user, item, meta, name if len(metas) == 1 else f"{name} #{page + 1}")


HOW = {"named": "按文件名指定的事项", "designated": "栏目的导入事项", "first": "本栏目首次导入，此事项成为栏目的导入事项",
       "new": "本栏目每个文件新建事项"}


def _head(item: Item, rev, what: str, how: str) -> str:
    return (f"已导入：事项 #{item.id}「{rev.title}」第 {rev.number} 版，{what}（{HOW[how]}），"
            "等待联络员提交审核")
