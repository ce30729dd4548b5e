"""Chinese first, English second: message catalogue and per-request language choice."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session

LANGUAGES = ("zh", "en")

# code -> (zh, en). Error codes come from content.lifecycle and server validation.
MESSAGES: dict[str, tuple[str, str]] = {
    "role_missing": ("您没有执行此操作的角色权限", "You do not hold a role allowed to do this"),
    "own_submission": ("不能审核或审定本人提交的事项", "You may not review or approve your own submission"),
    "same_approver": ("敏感事项需由另一位审定人再次审定", "A sensitive item needs a second approver"),
    "system_only": ("此操作只能由系统执行", "Only the server takes this action"),
    "bad_state": ("当前状态下不能执行此操作", "This action is not allowed in the current state"),
    "comment_required": ("请填写意见或理由", "A comment or reason is required"),
    "unknown_action": ("未知操作", "Unknown action"),
    "invalid": ("提交的内容有误", "The input is invalid"),
    "required": ("必填", "Required"),
    "too_long": ("内容过长（最多 {max} 个字符）", "Too long (at most {max} characters)"),
    "body_too_large": ("正文过大（最多 {max} 字节）", "Body too large (at most {max} bytes)"),
    "unknown_category": ("公开目录中没有此分类", "No such catalog category"),
    "bad_audiences": ("公开对象无效", "Invalid audiences"),
    "bad_window": ("公开时间无效：{detail}", "Invalid display window: {detail}"),
    "stale_edit": ("该草稿已被他人修改，请刷新后重试", "This draft was changed by someone else; reload and retry"),
    "version_required": ("缺少版本号 version", "version is required"),
    "not_editable": ("只有草稿可以修改", "Only drafts can be edited"),
    "no_working_revision": ("没有待处理的修订", "There is no revision in progress"),
    "revision_in_progress": ("已有正在处理的修订", "A revision is already in progress"),
    "not_live": ("事项尚未公开，不能更正", "The item is not published, so it cannot be corrected"),
    "reason_required": ("请填写更正理由", "A reason for the correction is required"),
    "bad_csv": ("表格文件有误：{detail}", "The table file is invalid: {detail}"),
    "bad_image": ("图片无效：{detail}", "The image is invalid: {detail}"),
    "too_big": ("文件过大（最多 {max} 字节）", "File too large (at most {max} bytes)"),
    "login_failed": ("用户名或密码错误", "Wrong user name or password"),
    "login_locked": ("登录失败次数过多，请稍后再试", "Too many failed logins; try again later"),
    "unauthorized": ("请先登录", "Please log in"),
    "forbidden": ("无权访问", "Forbidden"),
    "not_found": ("未找到", "Not found"),
    "bad_json": ("请求体必须是 JSON 对象", "The request body must be a JSON object"),
    "csrf": ("页面已过期，请返回刷新后重试", "The page expired; go back, reload and retry"),
    "bad_request": ("请求无效", "Bad request"),
    "method_not_allowed": ("不支持此请求方法", "Method not allowed"),
    "server_error": ("服务器内部错误", "Internal server error"),
    "unknown_role": ("未知角色：{detail}", "Unknown role: {detail}"),
    "username_taken": ("用户名已存在", "User name already taken"),
    "password_short": ("密码至少 8 位", "The password needs at least 8 characters"),
    "bad_catalog": ("目录有误：{detail}", "Catalog invalid: {detail}"),
    "too_many_pending": ("待审批的屏幕过多，请稍后再试", "Too many screens are waiting for approval"),
    "token_collected": ("该屏幕的令牌已领取或已撤销，请重新注册", "The token was collected or revoked; enrol again"),
    "bad_username": ("用户名须为 2–64 位字母、数字或 _ . -", "User name: 2–64 letters, digits, _ . -"),
    "self_lockout": ("不能取消自己的管理员角色或停用自己的账号",
                     "You cannot remove your own admin role or deactivate yourself"),
    "no_units": ("您在任何单位都没有角色，请联系管理员", "You hold no role in any unit; ask an administrator"),
    "key_taken": ("分类标识已存在", "This category key exists already"),
    "bad_phone": ("电话号码格式不正确", "The phone number is not valid"),
    "not_handler": ("该人员没有答复人（handler）角色", "This person does not hold the handler role"),
    "correction_late": ("补正须在收到申请后 7 个工作日内提出（截至 {limit}）",
                        "A correction must be asked for within 7 working days of receipt (by {limit})"),
    "bad_signage": ("信息屏设置有误：{detail}", "Invalid signage settings: {detail}"),
    "bad_dayparts": ("播放时段有误：{detail}", "Invalid time ranges: {detail}"),
    "bad_groups": ("屏幕分组有误：{detail}", "Invalid screen groups: {detail}"),
    "alert_cleared": ("该紧急通知已解除", "This alert has been cleared already"),
    "system_account": ("系统账号不能启用登录", "A system account cannot be enabled for login"),
}


def lang() -> str:
    """The language of this request: ?lang=, then the session, then Accept-Language, then default."""
    if not has_request_context():
        return "zh"
    if "lang" in g:
        return g.lang
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        if request.blueprint == "admin":
            session["lang"] = chosen
    elif session.get("lang") in LANGUAGES:
        chosen = session["lang"]
    else:
        default = current_app.config.get("DEFAULT_LANGUAGE", "zh")
        chosen = request.accept_languages.best_match(LANGUAGES, default=default) or default
        if request.accept_languages and request.accept_languages.best_match(["zh", "en"]) is None:
            chosen = default
    g.lang = chosen
    return chosen


def message(code: str, **params) -> str:
    """The message for `code` in the request's language."""
    zh, en = MESSAGES.get(code, (code, code))
    text = en if lang() == "en" else zh
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text
