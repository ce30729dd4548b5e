"""Find and register a CJK font (Kivy's default Roboto shows empty boxes for Chinese).

`register_cjk_font()` must run before any Label is built; it raises FontMissing with a readable
message when no CJK font is installed (./gongkai installs fonts-noto-cjk and fonts-wqy-microhei).

Kivy's SDL2 text provider draws `bold` only from a bold font file (it does not embolden), and it
always opens face 0 of a font collection — in Noto Sans CJK that is the Japanese face, whose
glyph shapes differ from the simplified Chinese ones. So the Simplified Chinese regular and bold
faces are copied once out of the Noto collections into a cache folder (fontTools, about a second)
and registered as the regular and bold fonts; WenQuanYi (no bold face) is the fallback.
"""
from __future__ import annotations

import glob
import logging
import os

__all__ = ["CANDIDATES", "FONT_NAME", "FontMissing", "find_cjk_font", "find_cjk_fonts",
           "register_cjk_font"]

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
NOTO_COLLECTIONS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
NOTO_FAMILY = "Noto Sans CJK SC"
log = logging.getLogger(__name__)
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


def font_cache_dir() -> str:
    """Where extracted faces are kept: $GONGKAI_FONT_CACHE, else ~/.cache/gongkai/fonts."""
    return os.environ.get("GONGKAI_FONT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gongkai", "fonts")


def extract_face(collection: str, family: str, cache_dir: str) -> str:
    """The face of `family` from a .ttc as a standalone font file (made once, then reused)."""
    stat = os.stat(collection)
    name = f"{os.path.basename(collection).rsplit('.', 1)[0]}-{family.split()[-1]}-{stat.st_size}.otf"
    out = os.path.join(cache_dir, name)
    if os.path.isfile(out):
        return out
    from fontTools.ttLib import TTCollection
    faces = [f for f in TTCollection(collection, lazy=True).fonts if f["name"].getDebugName(1) == family]
    if not faces:
        raise FontMissing(f"{collection} has no face {family!r}")
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{out}.{os.getpid()}.tmp"
    faces[0].save(tmp)
    os.replace(tmp, out)
    return out


def find_cjk_fonts() -> tuple[str, str]:
    """(regular, bold) font files with Chinese glyphs; bold is the regular file when no bold
    face exists. $GONGKAI_CJK_FONT (and $GONGKAI_CJK_FONT_BOLD) override the search."""
    if os.environ.get("GONGKAI_CJK_FONT"):
        regular = find_cjk_font()
        bold = os.environ.get("GONGKAI_CJK_FONT_BOLD") or regular
        if not os.path.isfile(bold):
            raise FontMissing(f"GONGKAI_CJK_FONT_BOLD={bold} does not exist")
        return regular, bold
    if all(os.path.isfile(p) for p in NOTO_COLLECTIONS):
        try:
            return tuple(extract_face(p, NOTO_FAMILY, font_cache_dir()) for p in NOTO_COLLECTIONS)
        except Exception as exc:  # no fontTools, read-only home, damaged file: fall back
            log.warning("could not extract %s (%s); using a font without a bold face", NOTO_FAMILY, exc)
    regular = find_cjk_font()
    return regular, regular


def register_cjk_font() -> str:
    """Register the CJK fonts as FONT_NAME and make them Kivy's default; returns the regular path."""
    from kivy.core.text import LabelBase
    from kivy.config import Config
    regular, bold = find_cjk_fonts()
    LabelBase.register(name=FONT_NAME, fn_regular=regular, fn_bold=bold)
    LabelBase.register(name="Roboto", fn_regular=regular, fn_bold=bold)  # default of every Label
    Config.set("kivy", "default_font", [FONT_NAME, regular, regular, bold, bold])
    return regular
