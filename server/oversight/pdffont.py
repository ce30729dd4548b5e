"""The Chinese font every PDF the server makes (monthly report, 公开栏 prints) registers with reportlab:
its own fonts have no Chinese glyphs. Kept apart so a PDF maker needs no report module to get it."""
from __future__ import annotations

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def cjk_font() -> str:
    """Register 文泉驿微米黑 (first face of the TTC) once and return its reportlab name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", CJK_FONT, subfontIndex=0))
    return "WQY"
