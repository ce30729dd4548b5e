"""The demo's pictures, drawn with Pillow when the demo is seeded (no downloads, no placeholders):
a 楼层导引 floor guide, a notice poster, a chart of monthly 门诊量 and 满意率, and a two-page PDF of
a rule as a scanned-and-typeset document would come. Deterministic: same bytes every run.

The text is drawn with the CJK font the server already relies on (Noto Sans CJK SC from
fonts-noto-cjk, else WenQuanYi Micro Hei from fonts-wqy-microhei); without one the demo fails
loudly rather than drawing empty boxes.
"""
from __future__ import annotations

import io
import os

from PIL import Image, ImageDraw, ImageFont

NOTO = {"regular": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "bold": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"}
WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
NAVY, TEAL, RED, GREY, INK, PAPER = "#12355b", "#1b7f79", "#c0392b", "#d9dee4", "#1d2733", "#f7f9fb"

_fonts: dict = {}


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC (face 2 of the collection: Simplified Chinese), else WenQuanYi."""
    key = (size, bold)
    if key not in _fonts:
        path = NOTO["bold" if bold else "regular"]
        if os.path.isfile(path):
            _fonts[key] = ImageFont.truetype(path, size, index=2)
        elif os.path.isfile(WQY):
            _fonts[key] = ImageFont.truetype(WQY, size, index=0)
        else:
            raise RuntimeError(f"no CJK font: install fonts-noto-cjk ({path}) or fonts-wqy-microhei ({WQY})")
    return _fonts[key]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _centre(draw, box, text, size, fill, bold=False):
    f = font(size, bold)
    x0, y0, x1, y1 = box
    l, t, r, b = draw.textbbox((0, 0), text, font=f)
    draw.text(((x0 + x1 - (r - l)) / 2 - l, (y0 + y1 - (b - t)) / 2 - t), text, font=f, fill=fill)


FLOORS = [("5F", "中医科 · 康复医学科 · 体检中心", "#6c5b7b"),
          ("4F", "儿科 · 眼科 · 耳鼻咽喉科 · 口腔科", "#c06c84"),
          ("3F", "外科 · 骨科 · 妇产科 · 医保办", "#f18c5e"),
          ("2F", "内科 · 检验科 · 超声科 · 心电图室", TEAL),
          ("1F", "挂号收费 · 药房 · 急诊科 · 影像科（CT、DR）", NAVY)]


def emblem(colour: str) -> bytes:
    """A hospital's round emblem for its screens' header: a white ring and a white cross on the
    hospital's colour, on transparency (the header's colour shows through)."""
    size = 512
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill="white")
    draw.ellipse((44, 44, size - 44, size - 44), fill=colour)
    arm, half, c = 140, 44, size // 2
    draw.rectangle((c - half, c - arm, c + half, c + arm), fill="white")
    draw.rectangle((c - arm, c - half, c + arm, c + half), fill="white")
    return _png(image)


def floor_guide() -> bytes:
    """门诊楼 楼层导引: one band per floor, the lobby marked 您在此处."""
    w, h = 1600, 1200
    im = Image.new("RGB", (w, h), PAPER)
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, 150), fill=NAVY)
    _centre(d, (0, 0, w, 100), "门诊楼楼层导引", 64, "white", bold=True)
    _centre(d, (0, 95, w, 150), "县第一人民医院 · Outpatient Building Directory", 28, "#cfe0f1")
    top, band = 190, 175
    for n, (floor, depts, colour) in enumerate(FLOORS):
        y = top + n * (band + 18)
        d.rounded_rectangle((60, y, w - 60, y + band), radius=24, fill="white", outline=GREY, width=3)
        d.rounded_rectangle((60, y, 260, y + band), radius=24, fill=colour)
        d.rectangle((200, y, 260, y + band), fill=colour)
        _centre(d, (60, y, 260, y + band), floor, 84, "white", bold=True)
        parts = depts.split(" · ")
        d.text((300, y + 26), parts[0], font=font(50, bold=True), fill=INK)
        d.text((300, y + 100), "  ·  ".join(parts[1:]), font=font(38), fill="#4a5868")
        if floor == "1F":
            d.rounded_rectangle((w - 380, y + 50, w - 100, y + 125), radius=36, fill=RED)
            _centre(d, (w - 380, y + 50, w - 100, y + 125), "您在此处", 40, "white", bold=True)
    d.text((70, h - 60), "无障碍电梯在大厅东侧 · 轮椅可在服务台免费借用", font=font(32), fill="#4a5868")
    return _png(im)


def notice_poster() -> bytes:
    """A portrait poster: 预约挂号 四种方式, as printed for the lobby's poster stands."""
    w, h = 1200, 1700
    im = Image.new("RGB", (w, h), "#fdf6ec")
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, 420), fill=TEAL)
    _centre(d, (0, 60, w, 200), "分时段预约", 110, "white", bold=True)
    _centre(d, (0, 200, w, 300), "少排队 · 少等候 · 按时就诊", 54, "#e3f4f2")
    _centre(d, (0, 300, w, 380), "县第一人民医院门诊部", 40, "#bfe6e2")
    ways = [("1", "微信公众号", "关注“县第一人民医院”，进入预约挂号"),
            ("2", "电话预约", "0731-84561000（工作日 7:30–17:30）"),
            ("3", "自助机", "门诊一楼大厅，刷身份证或医保电子凭证"),
            ("4", "诊间预约", "复诊患者请医生直接预约下次就诊")]
    for n, (num, head, text) in enumerate(ways):
        y = 480 + n * 270
        d.rounded_rectangle((80, y, w - 80, y + 230), radius=30, fill="white", outline="#e8d9c4", width=3)
        d.ellipse((120, y + 45, 260, y + 185), fill="#f18c5e")
        _centre(d, (120, y + 45, 260, y + 185), num, 80, "white", bold=True)
        d.text((300, y + 40), head, font=font(62, bold=True), fill=INK)
        d.text((300, y + 135), text, font=font(36), fill="#5b6672")
    d.rectangle((0, h - 130, w, h), fill=NAVY)
    _centre(d, (0, h - 130, w, h), "每日 0:00 放出第 7 天号源 · 爽约 3 次暂停线上预约 60 天", 36, "white")
    return _png(im)


MONTHS = ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月"]
VISITS = [3.82, 3.21, 3.95, 3.88, 4.02, 4.10, 4.36, 4.41, 4.05, 3.97, 4.23]   # 万人次
SATISFACTION = [94.1, 94.6, 95.0, 95.2, 95.1, 95.8, 96.0, 96.3, 96.1, 96.4, 96.2]   # %


def visits_chart() -> bytes:
    """2026 年 1–11 月 门诊量 (bars, 万人次) and 患者满意率 (line, %)."""
    w, h = 1600, 1000
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    _centre(d, (0, 20, w, 100), "2026 年 1–11 月门诊量与患者满意率", 52, INK, bold=True)
    left, right, top, bottom = 150, w - 150, 170, h - 130
    d.rectangle((w - 640, 110, w - 610, 135), fill=TEAL)
    d.text((w - 600, 104), "门诊量（万人次）", font=font(28), fill=INK)
    d.line((w - 330, 122, w - 290, 122), fill=RED, width=6)
    d.text((w - 280, 104), "满意率（%）", font=font(28), fill=INK)
    for n in range(6):  # grid: 0–5 万人次 on the left, 90–100 % on the right
        y = bottom - n * (bottom - top) / 5
        d.line((left, y, right, y), fill=GREY, width=2)
        d.text((left - 20, y), f"{n}", font=font(28), fill="#5b6672", anchor="rm")
        d.text((right + 20, y), f"{90 + 2 * n}", font=font(28), fill="#5b6672", anchor="lm")
    slot = (right - left) / len(MONTHS)
    points = []
    for n, (month, visits, sat) in enumerate(zip(MONTHS, VISITS, SATISFACTION)):
        x = left + slot * (n + 0.5)
        y = bottom - visits / 5 * (bottom - top)
        d.rectangle((x - slot * 0.3, y, x + slot * 0.3, bottom), fill=TEAL)
        d.text((x, y - 10), f"{visits:.2f}", font=font(24), fill=INK, anchor="ms")
        d.text((x, bottom + 20), month, font=font(30), fill=INK, anchor="mt")
        points.append((x, bottom - (sat - 90) / 10 * (bottom - top)))
    d.line(points, fill=RED, width=6, joint="curve")
    for x, y in points:
        d.ellipse((x - 10, y - 10, x + 10, y + 10), fill="white", outline=RED, width=5)
    d.text((left, h - 60), "数据来源：医院信息系统（HIS）门诊挂号统计、第三方满意度调查", font=font(26), fill="#5b6672")
    return _png(im)


def rules_pdf(title: str, markdown: str) -> bytes:
    """A two-page A4 PDF of a rule (the Markdown's paragraphs set as plain text), as the office would
    scan or print it: title, unit, the articles, page numbers."""
    w, h, margin = 1240, 1754, 120       # A4 at 150 dpi
    lines = []
    for block in markdown.split("\n"):
        text = block.replace("**", "").lstrip("#> ").strip()
        while text:
            cut = _fit(text, w - 2 * margin, font(34))
            lines.append((text[:cut], block.startswith("#")))
            text = text[cut:]
        if not text and not block.strip():
            lines.append(("", False))
    pages = []
    while lines or not pages:
        im = Image.new("RGB", (w, h), "white")
        d = ImageDraw.Draw(im)
        y = margin
        if not pages:
            _centre(d, (0, y, w, y + 90), title, 54, "black", bold=True)
            _centre(d, (0, y + 90, w, y + 140), "县第一人民医院  院发〔2026〕12 号", 30, "#444444")
            d.line((margin, y + 160, w - margin, y + 160), fill=RED, width=4)
            y += 200
        while lines and y + 52 < h - 140:
            text, heading = lines.pop(0)
            d.text((margin, y), text, font=font(36 if heading else 34, bold=heading), fill="black")
            y += 52
        _centre(d, (0, h - 100, w, h - 60), f"— {len(pages) + 1} —", 28, "#444444")
        pages.append(im)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=150.0,
                  title=title, author="县第一人民医院")
    return out.getvalue()


def _fit(text: str, width: int, f) -> int:
    """How many characters of `text` fit on one line of `width` pixels (at least one)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if f.getlength(text[:mid]) <= width else (lo, mid - 1)
    return lo
