"""Trust boundaries: the two-person rule, the catalog as ceiling and its override, unit admins' reach,
tracking codes with a rating link and the lookup by phone number (Chinese, then English)."""

STRINGS: dict[str, tuple[str, str]] = {
    # refusals: each names the field it is about
    "own_revision": ("不能审议、保密审查或审定本人起草或修改的修订",
                     "You may not review, clear or approve a revision you created or edited"),
    "beyond_category": ("公开对象超出分类“{category}”的范围：{audiences}。扩大范围须由审定人填写理由放宽",
                        "Audiences beyond those of the category “{category}”: {audiences}. Only an approver "
                        "may widen them, with a reason"),
    "sensitive_category": ("敏感事项：“{category}”是敏感分类，其事项必须标记为敏感事项；取消须由审定人填写理由放宽",
                           "Sensitive: “{category}” is a sensitive category, so its items are sensitive; only "
                           "an approver may un-mark one, with a reason"),
    "override_approver_only": ("放宽目录限制：只有审定人（领导小组）可以操作",
                               "Catalog override: only an approver may do this"),
    "override_reason": ("放宽理由：必填", "Reason for the override: required"),
    "override_not_needed": ("公开对象和敏感标记都未超出分类“{category}”的限制，无需放宽",
                            "Nothing goes beyond the category “{category}”; no override is needed"),
    "user_elsewhere": ("启用/停用：该账号在其他单位（{units}）也有角色，只能在本单位移除其角色，不能停用或启用账号",
                       "Active: this account holds roles in other units ({units}); remove its roles here "
                       "instead of switching the account off or on"),
    "rating_key": ("评价链接无效：请使用提交留言时获得的评价链接", "Rating link invalid: use the rating link you "
                   "got when you sent the feedback"),
    # the workflow step of an override, as the item's history shows it
    "action.override": ("放宽目录限制", "Catalog override"),
    # the staff UI
    "item.override": ("放宽目录限制", "Catalog override"),
    "item.override_hint": ("分类“{category}”的公开对象为：{audiences}。超出这些对象或取消敏感标记须填写理由，并记入处理记录。",
                           "The category “{category}” is for: {audiences}. Going beyond them or un-marking a "
                           "sensitive item needs a reason, and is recorded in the history."),
    "item.override_unmark": ("不按敏感事项", "not sensitive"),
    "item.override_reason": ("放宽理由", "Reason for the override"),
    "fb.created_link": ("已登记，查询码 {code}。请将评价链接告知留言人：{url}",
                        "Entered as {code}. Give the person this rating link: {url}"),
    "users.inherited": ("由上级单位授予（本单位不能修改）：{roles}", "Granted by the bureau (not changed here): {roles}"),
    "users.elsewhere": ("另在 {units} 任职", "Also in {units}"),
    "users.elsewhere_hint": ("该账号在其他单位（{units}）也有角色：本单位只能移除其在本单位的角色，不能停用或启用账号。",
                             "This account also holds roles in {units}: here you can remove its roles in this unit, "
                             "but not switch the account off or on."),
    # the phone pages
    "pub.fb.rate_link": ("收到答复后，请用下面的评价链接查看并评价（请保存，不要转发）：",
                         "When we have answered, open this rating link to read and rate the reply (keep it, do not share it):"),
    "pub.t.rate_link": ("评价请使用提交留言时获得的评价链接。", "To rate, open the rating link you got when you sent the feedback."),
    "pub.t.matches": ("找到以下留言：", "Found:"),
    "pub.t.phone": ("手机号", "Phone number"),
    "pub.t.date": ("提交日期", "Day you sent it"),
    "pub.err.bad_date": ("日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD"),
    "pub.err.lookup_rate": ("查询过于频繁，请稍后再试", "Too many lookups; please try again later"),
}
