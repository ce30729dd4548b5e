"""The demo's 督查通报: the bureau's 督查科 drafts the circular from its members' figures, the bureau's
own office, secrecy officer and director take it through the workflow, 县第一人民医院's 公开办 answers
every finding (with more than one, the first is accepted by the bureau's 纪委), 县中医院's are still pending."""
from __future__ import annotations

from sqlalchemy import select

from server.bureau import circulars, rectification
from server.disclosure import items
from server.models import Unit, User

STAFF = [  # username, display name, roles, unit code: the bureau people the circular's workflow needs
    ("duchake", "督查科 刘静", "supervisor,contributor", "BUREAU"),
    ("juban", "局办公室 孙丽", "reviewer", "BUREAU"),
    ("jubaomi", "局保密员 吴刚", "confidentiality", "BUREAU"),
]
FLOW = [("submit", "duchake"), ("review", "juban"), ("clear", "jubaomi"), ("approve", "juzhang")]
NOTES = {  # finding kind → what the hospital's 公开办 says it did
    "periodic_overdue": "已补充公开逾期的定期事项，并在公开目录中为每个定期分类指定责任科室和"
                        "提醒日期。",
    "change_overdue": "变更信息已全部公开；今后变更在 5 个工作日内提交审核。",
    "feedback_overdue": "逾期意见已逐件回复并办结，投诉处理纳入科室月度考核。",
    "requests_late": "逾期申请已答复申请人，指定专人跟踪依申请公开期限。",
    "satisfaction_flags": "已约谈相关科室负责人，制定改进措施并在院内公开。",
    "outdated_boards": "已安排公开办本周内更换门诊大厅公开栏上的旧版便民服务措施，今后每次更正后两个工作日内核对各公开栏。",
}


def _user(s, name: str) -> User:
    return s.scalar(select(User).where(User.username == name))


def seed_circular(s, bureau: Unit) -> None:
    """One published circular: H001's findings answered, H002's pending."""
    circular = circulars.draft(s, _user(s, "duchake"), bureau)
    for action, who in FLOW:
        items.take_action(s, _user(s, who), circular.item, action, "同意")
    answered = [f for f in circular.findings if f.unit.code == "H001"]
    for finding in answered:
        rectification.answer(s, _user(s, "gongkai"), finding, NOTES[finding.kind])
    if len(answered) > 1:   # one accepted, the rest still waiting for the bureau
        rectification.accept(s, _user(s, "jiwei"), answered[0])
