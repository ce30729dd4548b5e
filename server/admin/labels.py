"""UI strings of the admin pages, Chinese first: `t(key)` in templates picks the request's language."""
from __future__ import annotations

from server.i18n import lang

LABELS: dict[str, tuple[str, str]] = {
    "app": ("院务公开管理", "Disclosure admin"),
    "nav.queue": ("待我审核", "Awaiting me"),
    "nav.items": ("全部事项", "All items"),
    "nav.new": ("新建事项", "New item"),
    "nav.catalog": ("公开目录", "Catalog"),
    "nav.users": ("用户管理", "Users"),
    "logout": ("退出", "Log out"),
    "login": ("登录", "Log in"),
    "login.title": ("工作人员登录", "Staff login"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "display_name": ("姓名", "Display name"),
    "unit": ("单位", "Unit"),
    "switch": ("切换", "Switch"),
    "lang.other": ("English", "中文"),
    "queue.awaiting": ("待我审核", "Awaiting my sign-off"),
    "queue.drafts": ("我的草稿", "Drafts to submit"),
    "queue.recent": ("最近公开", "Recently published"),
    "queue.none": ("暂无", "Nothing here"),
    "items.filter": ("按状态筛选", "Filter by status"),
    "items.all": ("全部", "All"),
    "items.count": ("共 {n} 项", "{n} items"),
    "col.id": ("编号", "No."),
    "col.title": ("标题", "Title"),
    "col.category": ("分类", "Category"),
    "col.status": ("状态", "Status"),
    "col.revision": ("版本", "Revision"),
    "col.updated": ("更新时间", "Updated"),
    "col.published": ("公开时间", "Published"),
    "col.roles": ("角色", "Roles"),
    "col.active": ("状态", "Status"),
    "col.owner": ("责任部门", "Owner"),
    "col.audiences": ("公开对象", "Audiences"),
    "col.time_rule": ("时限", "Time rule"),
    "col.key": ("标识", "Key"),
    "notice": ("说明", "Notice"),
    "field.category": ("公开目录分类", "Catalog category"),
    "field.title": ("标题", "Title"),
    "field.body": ("正文（支持 Markdown：# 标题、**加粗**、列表、表格）",
                   "Body (Markdown: # headings, **bold**, lists, tables)"),
    "field.audiences": ("公开对象", "Audiences"),
    "field.audiences_hint": ("不勾选则使用分类的默认公开对象", "None ticked: the category's default"),
    "field.window": ("公开时间（当地时间 UTC+{offset}）", "Display window (local time, UTC+{offset})"),
    "field.window_start": ("开始", "Start"),
    "field.window_end": ("结束", "End"),
    "field.window_hint": ("留空：审定后立即公开，按分类时限结束", "Empty: opens on approval, ends by the time rule"),
    "field.sensitive": ("敏感事项（审定后还需另一位审定人再审定）",
                        "Sensitive (needs a second approver after approval)"),
    "field.sensitive_new_hint": ("不勾选时沿用分类的设置", "Unticked: the category's setting applies"),
    "field.table": ("表格（CSV，UTF-8 或 GBK，第一行为表头）", "Table (CSV, UTF-8 or GBK, header row first)"),
    "field.remove_table": ("移除现有表格", "Remove the current table"),
    "field.image": ("添加图片（JPEG/PNG/WebP/GIF）", "Add an image (JPEG/PNG/WebP/GIF)"),
    "field.remove_image": ("删除", "Remove"),
    "field.comment": ("意见", "Comment"),
    "field.reason": ("更正理由", "Reason for the correction"),
    "field.roles": ("角色", "Roles"),
    "field.name": ("名称", "Name"),
    "field.name_en": ("英文名称", "English name"),
    "field.owner": ("责任部门", "Owner department"),
    "field.description": ("说明", "Description"),
    "field.parent": ("上级分类", "Parent"),
    "field.key": ("标识（小写英文，如 drug-prices）", "Key (lower-case ASCII, e.g. drug-prices)"),
    "field.time_rule": ("时限", "Time rule"),
    "field.period": ("周期", "Period"),
    "field.due_day": ("每期截止日（1–28）", "Due day (1–28)"),
    "field.working_days": ("公示工作日数", "Working days on display"),
    "field.cat_sensitive": ("敏感分类（事项需再审定）", "Sensitive (items need a second approval)"),
    "field.disclosure_days": ("变更后公开时限（工作日）", "Days to disclose a change (working days)"),
    "none": ("（无）", "(none)"),
    "save": ("保存", "Save"),
    "create": ("创建草稿", "Create draft"),
    "cancel": ("取消", "Cancel"),
    "edit": ("修改草稿", "Edit draft"),
    "edit.title": ("修改草稿", "Edit draft"),
    "new.title": ("新建公开事项", "New disclosure item"),
    "item.history": ("处理记录", "History"),
    "item.actions": ("办理", "Actions"),
    "item.no_actions": ("您当前没有可办理的操作。", "Nothing for you to do on this item now."),
    "item.correct": ("更正", "Correct"),
    "item.correct_hint": ("已公开的版本会一直显示，直到更正后的新版本审定公开。",
                          "The published revision stays on screens until the corrected one is approved."),
    "item.table_rows": ("共 {n} 行，显示前 {shown} 行", "{n} rows, first {shown} shown"),
    "item.window": ("公开时间", "Window"),
    "item.audiences": ("公开对象", "Audiences"),
    "item.category": ("分类", "Category"),
    "item.sensitive": ("敏感事项", "Sensitive"),
    "item.reason": ("变更理由", "Reason for change"),
    "item.live": ("正在公开的是第 {n} 版", "Revision {n} is the one on screens"),
    "item.viewing": ("正在查看第 {n} 版", "Viewing revision {n}"),
    "item.revisions": ("版本", "Revisions"),
    "item.related": ("关于事项", "About item"),
    "item.from": ("自 {at} 起", "from {at}"),
    "item.open_end": ("长期", "open-ended"),
    "item.not_set": ("审定后开始", "starts on approval"),
    "h.revision": ("版本", "Rev."),
    "h.action": ("操作", "Action"),
    "h.who": ("办理人", "By"),
    "h.when": ("时间", "When"),
    "h.comment": ("意见", "Comment"),
    "catalog.title": ("公开目录", "Disclosure catalog"),
    "catalog.new": ("新增分类", "Add category"),
    "catalog.edit": ("修改", "Edit"),
    "catalog.edit_title": ("修改分类", "Edit category"),
    "catalog.add_child": ("添加下级", "Add child"),
    "users.title": ("用户管理", "Staff accounts"),
    "users.new": ("新建用户", "New account"),
    "users.roles": ("修改角色", "Change roles"),
    "users.active": ("启用", "Active"),
    "users.inactive": ("已停用", "Deactivated"),
    "users.deactivate": ("停用", "Deactivate"),
    "users.activate": ("启用", "Activate"),
    "flash.saved": ("已保存", "Saved"),
    "flash.created": ("已创建", "Created"),
    "flash.done": ("已办理：{action}", "Done: {action}"),
    "flash.correction": ("已建立更正草稿", "A correction draft was opened"),
    "flash.logged_out": ("已退出登录", "You are logged out"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回工作台", "Back to the work queue"),
    "form.errors": ("请修改标出的内容后重试。", "Please correct the marked fields and retry."),
}

STATUS = {
    "draft": ("草稿", "Draft"), "submitted": ("已提出", "Submitted"),
    "reviewed": ("已审议", "Reviewed"), "cleared": ("已保密审查", "Cleared"),
    "approved": ("待再审定", "Awaiting 2nd approval"), "scheduled": ("待公开", "Scheduled"),
    "published": ("已公开", "Published"), "expired": ("已过期", "Expired"),
    "withdrawn": ("已撤销", "Withdrawn"), "superseded": ("已变更", "Superseded"),
}
ACTIONS = {
    "submit": ("提交审核", "Submit"), "review": ("审议通过", "Review"),
    "clear": ("保密审查通过", "Clear"), "approve": ("审定", "Approve"),
    "escalate": ("再审定", "Second approval"), "reject": ("退回修改", "Send back"),
    "withdraw": ("撤销公开", "Withdraw"), "open": ("窗口开启", "Window opened"),
    "expire": ("到期", "Expired"), "supersede": ("被新版本替代", "Superseded"),
}
AUDIENCES = {
    "party": ("党员", "Party members"), "staff": ("职工", "Staff"),
    "patients": ("患者", "Patients"), "public": ("公众", "Public"),
}
ROLES = {
    "contributor": ("科室联络员", "Contributor"), "reviewer": ("公开办审议", "Reviewer"),
    "confidentiality": ("保密审查", "Confidentiality"), "approver": ("领导小组审定", "Approver"),
    "handler": ("反馈办理", "Feedback handler"), "supervisor": ("监督", "Supervisor"),
    "admin": ("系统管理员", "Administrator"),
}
TIME_RULES = {
    "standing": ("长期", "Standing"), "periodic": ("定期", "Periodic"),
    "phased": ("分期", "Phased"), "immediate": ("即时 / 公示", "Immediate (fixed window)"),
}
PERIODS = {"month": ("每月", "Monthly"), "quarter": ("每季度", "Quarterly"), "year": ("每年", "Yearly")}
TABLES = {"status": STATUS, "action": ACTIONS, "audience": AUDIENCES, "role": ROLES,
          "time_rule": TIME_RULES, "period": PERIODS}


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if lang() == "en" else pair[0]


def t(key: str, **params) -> str:
    """The UI string `key` in the request's language, with {params} filled in."""
    text = _pick(LABELS[key]) if key in LABELS else key
    return text.format(**params) if params else text


def term(kind: str, value: str) -> str:
    """A domain term (status, action, audience, role, time rule, period) in the request's language."""
    pair = TABLES[kind].get(value)
    return _pick(pair) if pair else value
