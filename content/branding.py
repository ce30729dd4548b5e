"""A unit's look on its screens: display name, colour and logo (set by the unit's admin, sent in
each screen's device block as `branding`; docs/architecture.md, the manifest).

Pure and used on both sides: the server refuses a colour on which white text would be hard to read
(WCAG 2 contrast below MIN_CONTRAST), and the screens apply the same rule to what arrives, falling
back to their theme colour, so a bad value can never make the header unreadable.
"""
from __future__ import annotations

import re

__all__ = ["MIN_CONTRAST", "MAX_NAME", "LOGO_MAX_SIDE", "contrast_with_white", "normalise_colour", "rgba"]

MIN_CONTRAST = 4.5      # white header text on the unit's colour, as for every other text pair
MAX_NAME = 40           # characters of the display name a header shows
LOGO_MAX_SIDE = 512     # pixels: a logo is scaled down to this at upload (a header shows ~100 px)
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def normalise_colour(value) -> str | None:
    """"#1a6" or "1A6B9C" → "#1a6b9c"; None if `value` is not a hex colour."""
    if not isinstance(value, str):
        return None
    match = _HEX.fullmatch(value.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def rgba(colour: str) -> tuple[float, float, float, float]:
    """A normalised "#rrggbb" as Kivy's (r, g, b, 1) in 0..1."""
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)) + (1.0,)


def _lin(c: float) -> float:
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of white text on the normalised colour (1..21)."""
    r, g, b, _ = rgba(colour)
    lum = 0.2126 * _lin(r) + 0.7152 * _lin(g) + 0.0722 * _lin(b)
    return 1.05 / (lum + 0.05)
