"""Demo content: a county health bureau with two hospitals, staff for every role, items in every state.

Everything is made through the same services staff use, so the audit chain and history are real.
Seeding happens once; running the demo again keeps what is there.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server import db

from server.commitments import pledges
from server.demo import circulars
from server.demo import prices
from server.demo import pictures
from server.demo.boards import seed_boards
from server.demo.public_items import seed_public
from server.demo.submissions import seed_submissions
from server.screens import branding

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
] + circulars.STAFF


CONVENIENCES = """- **轮椅、平车借用**：门诊一楼服务台，凭身份证免费借用；
- **免费饮水**：每层候诊区设有饮水机，提供一次性纸杯；
- **自助打印**：检验、影像报告可在一楼和二楼自助机打印；
- **老年人绿色通道**：65 岁以上老人挂号、缴费、取药优先。"""


def price_table() -> dict:
    """The demo's 医疗服务价格 list (server/demo/prices.py): a few hundred real-reading lines."""
    return prices.price_table()


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
        # the hospital's colour (white text on it reaches 4.5:1) and emblem on its screens; the
        # demo's admin manages H001, so H002 keeps the defaults (its name, the theme colour)
        branding.save(s, _user(s, "admin"), h1, "县第一人民医院", "#0b6e4f", pictures.emblem("#0b6e4f"))
        _seed_items(s, h1)
        _seed_commitments(s, h1)
        seed_boards(s, h1)
        circulars.seed_circular(s, bureau)
        seed_submissions(s, h1)
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

    seed_public(s, author, unit, lambda item: _run(s, item, flow))
    publicity = draft("notices", "拟提任干部任前公示",
                      "经院党委研究，拟提任**张伟**同志（男，1984 年 3 月生，中共党员，硕士研究生，主任医师，现任医务科副科长）"
                      "为医务科科长，现予公示。\n\n公示期 5 个工作日。对公示对象有异议的，请以书面或电话形式向"
                      "院纪委反映，电话 0731-84561099。反映问题要实事求是，并请署真实姓名。")
    _run(s, publicity, flow)
    staged = draft("notices", STAGED_TITLE,  # 先内后外: staff screens now, patients' and public screens in 3 days
                   "新门诊综合楼 12 月 1 日启用，内科、外科门诊随之搬迁。本通知先在院内公布，征求职工意见后向社会公布。",
                   audiences=[{"audiences": ["staff"], "at": None},
                              {"audiences": ["patients", "public"], "at": (now + STAGED_AFTER).isoformat()}])
    _run(s, staged, flow)
    corrected = draft("conveniences", "便民服务措施", CONVENIENCES,
                      signage=dict(SIGNAGE, order=2, ticker=True))
    _run(s, corrected, flow)
    items.start_correction(s, author, corrected, "新增夜间取药窗口")
    items.edit_draft(s, author, corrected, {"body": CONVENIENCES + "\n- **夜间取药**：急诊药房夜间取药窗口 24 小时开放。"},
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
