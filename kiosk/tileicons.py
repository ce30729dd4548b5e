"""Which icon a home-screen tile shows: a small table from category keys (the default catalog) and
from words in a category's name (a unit's own categories), with a sensible default.

The icons are glyphs of Google's Material Icons (Apache License 2.0, kiosk/icons/LICENSE), drawn
once to white PNGs by kiosk/icons/render.py; the app tints them with the unit's colour. Only the
glyphs named here are bundled.
"""
from __future__ import annotations

import os

__all__ = ["BY_KEY", "BY_WORD", "DEFAULT", "ICONS", "icon_name", "icon_path"]

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icons")

BY_KEY = {  # default_catalog.toml key → icon
    "qualifications": "verified_user", "practice-licence": "badge", "staff-credentials": "assignment_ind",
    "technology-equipment": "science", "regulations": "gavel", "care-rules": "checklist",
    "dispute-procedure": "policy", "informed-consent": "description", "medical-services": "local_hospital",
    "prices": "receipt_long", "drug-prices": "medication", "clinic-schedule": "calendar_month",
    "care-guide": "directions", "insurance": "health_and_safety", "average-costs": "payments",
    "procurement": "shopping_cart", "quality-evaluation": "fact_check", "disease-control": "vaccines",
    "patient-bill": "receipt", "conveniences": "volunteer_activism", "records-copy": "folder_shared",
    "wayfinding": "map", "conduct": "handshake", "complaints": "feedback", "disclosure-guide": "info",
    "notices": "campaign",
}
BY_WORD = (  # (words in the category's name, icon): the first that matches wins
    (("药",), "medication"), (("价格", "收费", "费用"), "receipt_long"), (("出诊", "排班", "门诊时间"), "calendar_month"),
    (("专家", "医生", "名医"), "person"), (("导航", "布局", "楼层", "路径"), "map"),
    (("流程", "指南", "须知"), "directions"), (("公告", "公示", "通知"), "campaign"), (("制度", "规定"), "gavel"),
    (("医保", "保险"), "health_and_safety"), (("投诉", "意见", "反馈"), "feedback"), (("资质", "执业"), "verified_user"),
    (("采购", "招标"), "shopping_cart"), (("质量", "评价"), "fact_check"), (("科室",), "local_hospital"),
)
DEFAULT = "article"
ICONS = sorted(set(BY_KEY.values()) | {icon for _, icon in BY_WORD} | {DEFAULT})


def icon_name(cat_id: str, name: str = "") -> str:
    """The icon for a category: by its key, else by a word of its name, else DEFAULT."""
    if cat_id in BY_KEY:
        return BY_KEY[cat_id]
    for words, icon in BY_WORD:
        if any(w in (name or "") for w in words):
            return icon
    return DEFAULT


def icon_path(cat_id: str, name: str = "") -> str:
    """The bundled PNG of the category's icon."""
    return os.path.join(HERE, icon_name(cat_id, name) + ".png")
