"""Demo content: a county health bureau with two hospitals, staff for every role, items in every state.

Everything is made through the same services staff use, so the audit chain and history are real.
Seeding happens once; running the demo again keeps what is there.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server import db

from server.commitments import pledges

from server.disclosure import items

from server.screens import signage_rules
from server.instance import add_unit, create_user, find_unit
from server.disclosure.boundaries import apply_time_boundaries
from server.models import Unit, User, utcnow

PASSWORD = "gongkai-demo"
STAGED_TITLE = "门诊综合楼启用及科室搬迁安排"   # the 先内后外 example
STAGED_AFTER = timedelta(days=3)
SIGNAGE = {"enabled": True, "slide": "auto", "duration": 15, "groups": ["大厅"]}   # 信息屏 in the lobby
STAFF = [  # username, display name, roles, unit code
    ("lianluo", "科室联络员 李娜", "contributor", "H001"),
    ("gongkai", "公开办 王强", "reviewer,handler", "H001"),
    ("baomi", "保密审查 赵敏", "confidentiality", "H001"),
    ("yuanzhang", "院长 陈国顺", "approver", "H001"),
    ("shuji", "书记 林华", "approver", "H001"),
    ("jiwei", "纪委 何明", "supervisor", "BUREAU"),
    ("admin", "系统管理员", "admin", "H001"),
    ("lianluo2", "二院联络员 周洁", "contributor,reviewer,confidentiality", "H002"),
    ("juzhang", "局长 张明和", "approver", "BUREAU"),
]
LABS = [("血常规", "项", 20), ("尿常规", "项", 10), ("肝功能", "项", 60), ("肾功能", "项", 45),
        ("血糖测定", "项", 8), ("CT检查（头部平扫）", "部位", 230), ("核磁共振（MRI）", "部位", 480),
        ("B超检查（腹部）", "次", 90), ("心电图", "次", 25), ("胸部X线摄影", "次", 60),
        ("胃镜检查", "次", 280), ("普通门诊诊察费", "次", 10), ("主任医师诊察费", "次", 40),
        ("静脉输液", "组", 12), ("肌肉注射", "次", 4)]


def price_table(repeat: int = 14) -> dict:
    """A price list of a few hundred rows, like the ones hospitals must disclose."""
    rows = []
    for n in range(repeat):
        for name, unit, price in LABS:
            suffix = "" if n == 0 else f"（{n + 1}类）"
            rows.append([f"{len(rows) + 1:05d}", name + suffix, unit, f"{price + n * 3:.2f}", "市医保甲类"])
    return {"columns": ["编码", "项目名称", "计价单位", "价格（元）", "医保类别"], "rows": rows}


def seed_demo(app) -> list[tuple[str, str, str, str]]:
    """Create the demo units, staff and items if there are no staff yet; return the accounts."""
    accounts = [(u, PASSWORD, roles, unit) for u, _, roles, unit in STAFF]
    with app.app_context():
        s = db.session()
        if s.scalar(select(User).limit(1)) is not None:
            return accounts
        bureau = find_unit(s, None)
        bureau.kind, bureau.name_en = "bureau", "County Health Bureau"
        h1 = add_unit(s, "H001", "县第一人民医院", parent=bureau, name_en="County No.1 People's Hospital",
                      hotline="0571-12345678")
        add_unit(s, "H002", "县中医院", parent=bureau, name_en="County TCM Hospital", hotline="0571-87654321")
        units = {u.code: u for u in s.scalars(select(Unit))}
        for username, display, roles, unit in STAFF:
            # the demo's shared, printed password is deliberate (and "gongkai-demo" holds the user
            # name "gongkai"): the strength rule is for passwords people choose
            create_user(s, username, PASSWORD, roles.split(","), units[unit], display, check_strength=False)
        s.commit()
        _seed_items(s, h1)
        _seed_commitments(s, h1)
    return accounts


def _user(s, name: str) -> User:
    return s.scalar(select(User).where(User.username == name))


def _run(s, item, steps, comment="同意"):
    for action, who in steps:
        items.take_action(s, _user(s, who), item, action, comment)


def _seed_items(s, unit: Unit) -> None:
    author = _user(s, "lianluo")
    flow = [("submit", "lianluo"), ("review", "gongkai"), ("clear", "baomi"), ("approve", "yuanzhang")]
    now = utcnow()

    def draft(category, title, body, **extra):
        return items.create_draft(s, author, unit, {"category": category, "title": title, "body": body, **extra})

    prices = draft("prices", "2026 年医疗服务项目价格公示",
                   "## 说明\n\n以下价格依据**省医疗服务价格目录**执行，如有疑问请拨打投诉电话。")
    items.edit_draft(s, author, prices, {"table": price_table(), "signage": dict(
        SIGNAGE, slide="table", duration=20, order=3)}, 1)
    _run(s, prices, flow)
    schedule = draft("clinic-schedule", "本周专家出诊安排",
                     "- 周一 上午：心内科 陈主任\n- 周三 全天：骨科 李主任\n- 周五 下午：儿科 王主任",
                     signage=dict(SIGNAGE, order=1, dayparts=[{"days": [1, 2, 3, 4, 5], "from": "07:30",
                                                               "to": "17:30"}]))
    _run(s, schedule, flow)
    publicity = draft("notices", "拟提任干部任前公示",
                      "经院党委研究，拟提任张三同志为医务科科长，现予公示。公示期 5 个工作日。")
    _run(s, publicity, flow)
    staged = draft("notices", STAGED_TITLE,  # 先内后外: staff screens now, patients' and public screens in 3 days
                   "新门诊综合楼 12 月 1 日启用，内科、外科门诊随之搬迁。本通知先在院内公布，征求职工意见后向社会公布。",
                   audiences=[{"audiences": ["staff"], "at": None},
                              {"audiences": ["patients", "public"], "at": (now + STAGED_AFTER).isoformat()}])
    _run(s, staged, flow)
    corrected = draft("conveniences", "便民服务措施", "提供轮椅借用、免费饮水、自助打印报告。",
                      signage=dict(SIGNAGE, order=2, ticker=True))
    _run(s, corrected, flow)
    items.start_correction(s, author, corrected, "新增夜间取药窗口")
    items.edit_draft(s, author, corrected, {"body": "提供轮椅借用、免费饮水、自助打印报告，夜间取药窗口 24 小时开放。"},
                   1)
    _run(s, corrected, flow)
    withdrawn = draft("complaints", "投诉电话变更通知", "投诉电话改为 0571-00000000。")
    _run(s, withdrawn, flow)
    items.take_action(s, _user(s, "shuji"), withdrawn, "withdraw", "号码有误，以原投诉电话为准")
    scheduled = draft("notices", "元旦假期门诊安排", "元旦期间急诊 24 小时开放，普通门诊正常上午班。",
                      window={"start": (now + timedelta(days=30)).isoformat()})
    _run(s, scheduled, flow)
    expired = draft("notices", "十月份义诊活动通知", "10 月 18 日上午在门诊大厅开展义诊。",
                    window={"start": (now - timedelta(days=40)).isoformat(),
                            "end": (now - timedelta(days=30)).isoformat()})
    _run(s, expired, flow)
    apply_time_boundaries(s, now)
    sensitive = draft("leader-matters", "院领导班子成员个人有关事项报告情况", "按规定报告事项汇总。",
                      sensitive=True)
    _run(s, sensitive, flow)
    for steps, category, title in [([], "drug-prices", "药品集中采购结果（草稿）"),
                                   (flow[:1], "finance", "2026 年第三季度财务收支情况"),
                                   (flow[:2], "procurement", "大型设备采购招标结果"),
                                   (flow[:3], "professional-titles", "职称评聘结果公示")]:
        _run(s, draft(category, title, "待完善正文。"), steps)
    _seed_signage(s, unit)


def _seed_signage(s, unit: Unit) -> None:
    """信息屏: 公示 items of 通知公告 play in the lobby by a rule; the lobby opens 07:30–18:00."""
    admin = _user(s, "admin")
    signage_rules.add_rule(s, admin, unit, {"group": "大厅", "category": "notices", "immediate_only": True,
                                            "duration": 15, "position": 10})
    signage_rules.save_group(s, admin, unit, {"name": "大厅", "night_mode": True, "opening_hours": [
        {"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "18:00"},
        {"days": [6, 7], "from": "08:00", "to": "12:00"}]})


def _seed_commitments(s, unit: Unit) -> None:
    """公开承诺: a party branch's with two approved 践诺 updates and ratings; a department's overdue."""
    author, flow = _user(s, "lianluo"), [("submit", "lianluo"), ("review", "gongkai"), ("clear", "baomi"),
                                         ("approve", "yuanzhang")]
    today = pledges.today()
    branch = pledges.create(s, author, unit, {
        "title": "内科党支部：门诊候诊时间缩短到 30 分钟以内", "committer_kind": "party_branch",
        "committer": "内科党支部", "due_date": (today + timedelta(days=120)).isoformat(),
        "pledge": "党员带头推行分时段预约和诊间结算，年内门诊平均候诊时间缩短到 30 分钟以内。"})
    _run(s, branch.item, flow)
    for days, text, percent in [(60, "开通分时段预约，预约率达到 45%", 40), (20, "诊间结算覆盖全部内科诊室", 70)]:
        pledges.add_progress(s, author, branch, {"on_date": (today - timedelta(days=days)).isoformat(),
                                             "text": text, "percent": percent})
        _run(s, branch.item, flow)
    for rating in ("satisfied", "satisfied", "satisfied", "basic", "unsatisfied"):
        pledges.rate(s, branch, rating)
    late = pledges.create(s, author, unit, {
        "title": "医务科：检验报告 24 小时内出具", "committer_kind": "department", "committer": "医务科",
        "due_date": (today - timedelta(days=10)).isoformat(),
        "pledge": "常规检验报告在采样后 24 小时内出具，并可在自助机打印。"})
    _run(s, late.item, flow)
