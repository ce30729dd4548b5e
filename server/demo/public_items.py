"""The demo's published public items: at least one in every category a lobby kiosk shows as a tile
(资质信息, 管理制度, each 医疗服务信息 child, 便民措施, 行风建设, 投诉渠道, 信息公开指南, 党务公开's
public groups), with the real-looking price list, drug prices, doctor schedule, rules in Markdown,
and pictures and a PDF drawn for the demo — made and approved through the staff services.
"""
from __future__ import annotations

from server.demo import pictures, prices, schedules, texts
from server.disclosure import items
from server.disclosure.uploads import read_uploads

LOBBY = ["大厅"]


def _signage(slide: str, order: int, duration: int = 15, **extra) -> dict:
    return {"enabled": True, "slide": slide, "duration": duration, "order": order, "groups": LOBBY, **extra}


# category, title, body, table maker, attachment maker (file name, bytes maker), signage
PUBLIC = [
    ("prices", "2026 年医疗服务项目价格公示",
     "## 说明\n\n以下价格依据**湖南省医疗服务价格项目目录**和县医疗保障局核定的标准执行，"
     "医保类别中**甲**类全额纳入报销范围，**乙**类先由个人自付 10% 后纳入，**丙**类由个人负担。"
     f"\n\n如对收费有疑问，请拨打物价投诉电话 {texts.HOTLINE}。",
     prices.price_table, None, _signage("table", 3, 20)),
    ("drug-prices", "常用药品价格公示（2026 年 11 月）",
     "## 说明\n\n本表列出门诊常用药品的零售价格。标注**集采**的为国家组织药品集中带量采购中选产品，"
     "按中选价格零差率销售。\n\n药品价格如有调整，以收费系统实时价格为准。",
     schedules.drug_table, None, None),
    ("clinic-schedule", "本周专家门诊排班",
     "专家门诊上午 8:00–12:00，下午 14:30–17:30。专家因公停诊的，医院将提前短信通知已预约患者。",
     schedules.schedule_table, None,
     _signage("table", 1, 20, dayparts=[{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "17:30"}])),
    ("care-guide", "门诊就医流程", texts.CARE_FLOW, None, None, None),
    ("care-guide", "预约挂号须知", texts.BOOKING, None, ("分时段预约海报.png", pictures.notice_poster),
     _signage("image", 4)),
    ("insurance", "城乡居民医保报销政策", texts.INSURANCE, None, None, None),
    ("average-costs", "2026 年第三季度门诊和住院费用情况", texts.COSTS, None, None, None),
    ("quality-evaluation", "2026 年 1–11 月门诊量与患者满意率", texts.QUALITY, None,
     ("门诊量与满意率.png", pictures.visits_chart), _signage("image", 6)),
    ("procurement", "64 排螺旋 CT 采购项目中标结果公示", texts.PROCUREMENT, None, None, None),
    ("disease-control", "流感防治提示", texts.DISEASE, None, None, None),
    ("practice-licence", "医疗机构执业许可信息", texts.LICENCE, None, None, None),
    ("dispute-procedure", "医疗纠纷处理程序", texts.DISPUTE, None, None, None),
    ("records-copy", "病历复印办理须知", texts.RECORDS, None, None, None),
    ("wayfinding", "门诊楼楼层导引", texts.WAYFINDING, None, ("门诊楼楼层导引.png", pictures.floor_guide),
     _signage("image", 2)),
    ("conduct", "医疗机构工作人员廉洁从业九项准则", texts.CONDUCT, None, None, None),
    ("complaints", "收费投诉渠道", texts.COMPLAINTS, None, None, None),
    ("complaints", "11 月投诉与信息公开申请办理情况",
     "11 月共受理投诉和信息公开申请 **86** 件，已办结 **83** 件，按时办结率 **97.7%**，办理满意率 **94.0%**。",
     None, None, _signage("stats", 7, 12, stats={"month": "2026-11", "received": 86, "answered": 83,
                                                 "on_time_pct": 97.7, "satisfaction_pct": 94.0})),
    ("disclosure-guide", "信息公开指南", texts.GUIDE, None, None, None),
    ("disclosure-guide", "院务公开制度", texts.DISCLOSURE_RULES, None,
     ("院务公开制度.pdf", lambda: pictures.rules_pdf("院务公开制度", texts.DISCLOSURE_RULES)),
     _signage("document", 5, 12)),
    ("notices", "关于冬季门诊时间调整的通知",
     "各位患者：\n\n根据季节变化，自 11 月 1 日起门诊实行冬季作息时间：\n\n"
     "- **上午** 8:00–12:00\n- **下午** 14:00–17:30\n\n急诊科、发热门诊 24 小时开放。"
     "周六、周日上午内科、外科、儿科、妇产科照常开诊。", None, None, None),
    ("notices", "2026 年度优秀护士评选结果公示",
     "经科室推荐、护理部考核、院党委研究，拟评选**刘丽萍、张婷、陈思、周慧、彭娟**等 5 名同志为 2026 年度优秀护士，"
     "现予公示。\n\n公示期 5 个工作日。如有异议，请向护理部（电话 0731-84561055）或院纪委（电话 0731-84561099）反映。",
     None, None, None),
    ("party-organization", "医院党组织设置情况", texts.PARTY_ORG, None, None, None),
    ("integrity-building", "第三季度党风廉政建设情况通报", texts.INTEGRITY, None, None, None),
    ("serving-masses", "党员志愿服务进门诊", texts.SERVING, None, None, None),
]


def seed_public(s, author, unit, run) -> dict:
    """Create, fill and approve every PUBLIC item; `run(item)` takes one through the approval flow.
    Returns {title: item}."""
    made = {}
    for category, title, body, table, attachment, signage in PUBLIC:
        visuals = ()
        if attachment:
            name, draw = attachment
            table_none, visuals, errors = read_uploads(None, [(draw(), name)])
            if errors:
                raise RuntimeError(f"demo picture {name} refused: {errors}")
        data = {"category": category, "title": title, "body": body}
        if signage:
            data["signage"] = signage
        item = items.create_draft(s, author, unit, data, table=table() if table else None, visuals=visuals)
        run(item)
        made[title] = item
    return made
