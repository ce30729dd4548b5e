"""Draw the tile icons named in kiosk/tileicons.py as white 160-pixel PNGs (run by hand when the
table changes; the PNGs are committed, so the kiosk needs no icon font at run time).

Source: Material Icons by Google, Apache License 2.0 (LICENSE beside this file), from Debian's
`fonts-material-design-icons-iconfont` package:

    apt-get install fonts-material-design-icons-iconfont
    python kiosk/icons/render.py
"""
from __future__ import annotations

import os
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/material-design-icons-iconfont/MaterialIcons-Regular.ttf"
CODES = "/usr/share/fonts-material-design-icons-iconfont/scss/_variables.scss"
SIZE = 160


def main() -> int:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
    from kiosk.tileicons import HERE, ICONS
    codes = dict(re.findall(r'"([a-z0-9_]+)": ([0-9a-f]+),', open(CODES, encoding="utf-8").read()))
    font = ImageFont.truetype(FONT, SIZE)
    for name in ICONS:
        image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
        ImageDraw.Draw(image).text((SIZE / 2, SIZE / 2), chr(int(codes[name], 16)), font=font,
                                   fill=(255, 255, 255, 255), anchor="mm")
        image.save(os.path.join(HERE, f"{name}.png"), optimize=True)
    print(f"{len(ICONS)} icons in {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
