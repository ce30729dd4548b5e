"""Find and register a CJK font (Kivy's default Roboto shows empty boxes for Chinese).

`register_cjk_font()` must run before any Label is built; it raises FontMissing with a readable
message when no CJK font is installed (./gongkai installs fonts-wqy-microhei).
"""
from __future__ import annotations

import glob
import os

__all__ = ["CANDIDATES", "FONT_NAME", "FontMissing", "find_cjk_font", "register_cjk_font"]

FONT_NAME = "GongkaiCJK"
CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
]
PATTERNS = ["/usr/share/fonts/**/*CJK*", "/usr/share/fonts/**/wqy*", "/usr/local/share/fonts/**/*CJK*"]


class FontMissing(RuntimeError):
    """No CJK font on this machine."""


def find_cjk_font() -> str:
    """Path of a font with Chinese glyphs: $GONGKAI_CJK_FONT, a known path, or a glob match."""
    override = os.environ.get("GONGKAI_CJK_FONT")
    if override:
        if not os.path.isfile(override):
            raise FontMissing(f"GONGKAI_CJK_FONT={override} does not exist")
        return override
    for path in CANDIDATES:
        if os.path.isfile(path):
            return path
    for pattern in PATTERNS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if path.lower().endswith((".ttf", ".ttc", ".otf")):
                return path
    raise FontMissing("no CJK font found: install fonts-wqy-microhei (apt) or set GONGKAI_CJK_FONT")


def register_cjk_font() -> str:
    """Register the CJK font as FONT_NAME and make it Kivy's default font; returns its path."""
    from kivy.core.text import LabelBase
    from kivy.config import Config
    path = find_cjk_font()
    LabelBase.register(name=FONT_NAME, fn_regular=path, fn_bold=path)
    LabelBase.register(name="Roboto", fn_regular=path, fn_bold=path)  # default of every Label
    Config.set("kivy", "default_font", [FONT_NAME, path, path, path, path])
    return path
