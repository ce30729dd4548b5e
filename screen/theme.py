"""Colours, sizes and the contrast rule (WCAG 2 relative luminance), shared by the .kv files.

Every text colour is used only on the backgrounds listed in PAIRS; tests check each pair ≥ 4.5:1.
ACCENT is the default of the unit's colour (screen/branding.py), which obeys the same rule: white on
it, and it on white (the same ratio), reach 4.5:1.
"""
from __future__ import annotations

__all__ = ["BG", "CARD", "INK", "MUTED", "ACCENT", "ON_ACCENT", "ALERT", "ON_ALERT", "BADGE", "OK",
           "PAIRS", "contrast", "MIN_TARGET", "MIN_TARGET_LARGE", "LARGE_SCALE"]

BG = (0.96, 0.97, 0.98, 1)          # screen background
CARD = (1, 1, 1, 1)                 # tiles, item page
INK = (0.10, 0.12, 0.16, 1)         # body text
MUTED = (0.30, 0.33, 0.38, 1)       # dates, small print
ACCENT = (0.05, 0.33, 0.62, 1)      # header bar, primary buttons
ON_ACCENT = (1, 1, 1, 1)
ALERT = (0.70, 0.05, 0.05, 1)       # emergency banner, offline pill
ON_ALERT = (1, 1, 1, 1)
BADGE = (0.62, 0.29, 0.0, 1)        # 公示中 badge background
OK = (0.0, 0.40, 0.20, 1)           # 满意 chip
OVERLAY = (0.0, 0.0, 0.0, 0.85)

PAIRS = {  # text colour, background colour
    "body": (INK, CARD), "body-bg": (INK, BG), "muted": (MUTED, CARD), "muted-bg": (MUTED, BG),
    "header": (ON_ACCENT, ACCENT), "brand-heading": (ACCENT, CARD), "alert": (ON_ALERT, ALERT), "badge": (ON_ACCENT, BADGE),
    "ok": (ON_ACCENT, OK), "key-down": (INK, (0.80, 0.86, 0.95, 1)), "tile-down": (INK, BG), "overlay": (ON_ACCENT, (0.0, 0.0, 0.0, 1)),
}

MIN_TARGET = 44          # dp, normal mode
MIN_TARGET_LARGE = 60    # dp, large-text mode
LARGE_SCALE = 1.4        # 大字模式 multiplies font sizes by this
BODY_SP = 20             # body text; ×1.4 = 28 sp in large-text mode (≥ 18 pt)


def _lin(c: float) -> float:
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb) -> float:
    r, g, b = (_lin(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    """WCAG contrast ratio of two opaque colours (1..21)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)
