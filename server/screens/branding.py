"""A unit's branding on its screens — display name, colour, logo — set by the unit's admin.

Why here: the screens show it in every header, so it travels in each screen's signed device block
(device_feed.device_block, `branding`); saving it changes the Unit row, which moves the device
epoch, so every screen of the unit gets a new manifest. The logo is verified and re-encoded like
every uploaded image (server/disclosure/uploads.py) and fetched and cached by the screens like other
media; a colour on which white text reads below 4.5:1 is refused (content/branding.py).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from content.branding import LOGO_MAX_SIDE, MAX_NAME, MIN_CONTRAST, contrast_with_white, normalise_colour
from content.model import Role
from server import audit
from server.auth import require_roles
from server.disclosure.uploads import store_image
from server.models import Unit, User
from server.validation import ServiceError

__all__ = ["block_of", "logo_shas", "save"]


def block_of(name: str, brand_name: str, colour: str, logo: dict | None) -> dict:
    """The device block's `branding`: defaults when unset — the unit's name, no colour (the screen
    keeps its theme colour), no logo."""
    return {"name": (brand_name or name or "")[:MAX_NAME], "colour": colour or None,
            "logo": dict(logo) if logo else None}


def save(s: Session, admin: User, unit: Unit, name: str, colour: str, logo_data: bytes | None,
         remove_logo: bool = False) -> Unit:
    """Store the unit's display name, colour and (new, kept or removed) logo; audited."""
    require_roles(admin, unit, Role.ADMIN)
    errors: dict = {}
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        errors["brand_name"] = ("too_long", {"max": MAX_NAME})
    clean = ""
    if (colour or "").strip():
        clean = normalise_colour(colour)
        if clean is None:
            errors["brand_colour"] = ("brand_colour_format", {})
        elif contrast_with_white(clean) < MIN_CONTRAST:
            errors["brand_colour"] = ("brand_colour_contrast", {
                "ratio": f"{contrast_with_white(clean):.1f}", "min": MIN_CONTRAST})
            clean = ""
    logo = unit.logo
    if logo_data:
        cfg = current_app.config
        try:
            meta = store_image(logo_data, cfg["MEDIA_DIR"], cfg["MAX_IMAGE_PIXELS"], max_side=LOGO_MAX_SIDE)
            logo = {"sha256": meta["sha256"], "type": meta["mime"], "w": meta["width"], "h": meta["height"],
                    "bytes": meta["size"]}
        except ServiceError as exc:
            errors["logo"] = exc.fields["image"]   # ("bad_image", {"detail": …}): why, in Chinese
    elif remove_logo:
        logo = None
    if errors:
        raise ServiceError(422, "invalid", errors)
    before = {"name": unit.brand_name, "colour": unit.brand_colour, "logo": (unit.logo or {}).get("sha256")}
    unit.brand_name, unit.brand_colour, unit.logo = name, clean or "", logo
    after = {"name": unit.brand_name, "colour": unit.brand_colour, "logo": (logo or {}).get("sha256")}
    if before != after:
        audit.record(s, admin.username, "unit.branding", f"unit:{unit.code}", before, after)
    s.commit()
    return unit


def logo_shas(units) -> set[str]:
    """The logo files of these units (what their staff may fetch from /media)."""
    return {u.logo["sha256"] for u in units if isinstance(u.logo, dict) and u.logo.get("sha256")}
