"""The unit's branding as the screens show it: header name, colour and logo file, from the device
block's `branding` (content/branding.py; docs/architecture.md, the manifest).

Hostile-input rules as everywhere on the screen: a colour that is malformed or too light for white
text falls back to the theme colour, a name is cut, a logo is used only once its verified file is
in the cache (else the header shows no logo, never a broken image).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from content.branding import MAX_NAME, MIN_CONTRAST, contrast_with_white, normalise_colour, rgba
from content.manifest import branding_logo
from screen import present, theme

__all__ = ["Branding", "branding_of"]

FALLBACK_NAME = "医院信息公开"


@dataclass(frozen=True)
class Branding:
    name: str
    colour: tuple
    logo: str     # path of the cached logo file, or ""


def branding_of(manifest, media_path: Callable[[str], str]) -> Branding:
    """Name, colour (Kivy rgba) and logo path for the header; `media_path(sha)` names a cached file."""
    device = manifest.get("device") if isinstance(manifest, dict) else None
    device = device if isinstance(device, dict) else {}
    brand = device.get("branding") if isinstance(device.get("branding"), dict) else {}
    unit = device.get("unit") if isinstance(device.get("unit"), dict) else {}
    name = present.text(brand.get("name") or unit.get("name") or device.get("name") or FALLBACK_NAME, MAX_NAME)
    colour = normalise_colour(brand.get("colour"))
    shade = rgba(colour) if colour and contrast_with_white(colour) >= MIN_CONTRAST else tuple(theme.ACCENT)
    logo, path = branding_logo(manifest if isinstance(manifest, dict) else {}), ""
    if logo is not None:
        try:
            candidate = media_path(logo.get("sha256"))
            path = candidate if os.path.isfile(candidate) else ""
        except (ValueError, TypeError):
            path = ""
    return Branding(name, shade, path)
