"""Signage form fields in, service dicts out: time ranges typed one per line ("1-5 08:00-17:30"),
groups typed with commas, the item form's 信息屏 fieldset."""
from __future__ import annotations

import re

from server.i18n import msg, t, term
from server.validation import ServiceError

GROUP_SEPARATORS = re.compile(r"[,，、;；]")
LINE = re.compile(r"^(?:(?P<days>[1-7](?:\s*[-,，~]\s*[1-7])*)\s+)?(?P<from>\d{1,2}:\d{2})\s*[-~–—至]\s*(?P<to>\d{1,2}:\d{2})$")


def split_groups(text: str) -> list[str]:
    return [x.strip() for x in GROUP_SEPARATORS.split(text or "") if x.strip()]


def _days(text: str | None) -> list[int]:
    if not text:
        return [1, 2, 3, 4, 5, 6, 7]
    days: set[int] = set()
    for part in re.split(r"\s*[,，]\s*", text):
        ends = [int(x) for x in re.split(r"\s*[-~]\s*", part)]
        days.update(range(ends[0], ends[-1] + 1) if ends[0] <= ends[-1] else ends)
    return sorted(days)


def parse_dayparts(text: str, field: str) -> list[dict]:
    """Lines of "[days] HH:MM-HH:MM" (days: 1=周一 … 7=周日, "1-5" or "1,3,5"); empty = all day."""
    out = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = LINE.match(line)
        if match is None:
            raise ServiceError(422, "invalid", {field: ("bad_dayparts", {
                "detail": msg("dayparts.line", n=n, line=line[:30])})})
        out.append({"days": _days(match["days"]), "from": match["from"].zfill(5), "to": match["to"].zfill(5)})
    return out


def dayparts_text(parts) -> str:
    """Stored time ranges back as the lines the form takes."""
    lines = []
    for p in parts or []:
        days = p.get("days") or []
        if days == list(range(1, 8)):
            lead = ""
        elif days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            lead = f"{days[0]}-{days[-1]} "
        else:
            lead = ",".join(str(d) for d in days) + " "
        lines.append(f"{lead}{p.get('from')}-{p.get('to')}")
    return "\n".join(lines)


def dayparts_label(parts) -> str:
    """Readable days and hours: 周一至周五 08:00–17:30；周六 09:00–12:00 (empty: 全天)."""
    out = []
    for p in parts or []:
        days = p.get("days") or []
        if days == list(range(1, 8)):
            names = t("sg.every_day")
        elif days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            names = t("sg.day_range", first=term("weekday", days[0]), last=term("weekday", days[-1]))
        else:
            names = t("sg.day_sep").join(t("sg.weekday", day=term("weekday", d)) for d in days)
        out.append(f"{names} {p.get('from')}–{p.get('to')}")
    return t("sg.part_sep").join(out) or t("sg.all_day")


def item_values(form) -> dict:
    """The item form's 信息屏 fields as typed."""
    return {"signage_enabled": bool(form.get("signage_enabled")), "signage_ticker": bool(form.get("signage_ticker")),
            "signage_slide": form.get("signage_slide", "auto"), "signage_duration": form.get("signage_duration", ""),
            "signage_order": form.get("signage_order", ""), "signage_groups": form.get("signage_groups", ""),
            "signage_dayparts": form.get("signage_dayparts", "")}


def stored_values(settings: dict | None) -> dict:
    """The 信息屏 fields filled from a revision's stored settings."""
    s = settings or {}
    return {"signage_enabled": bool(s.get("enabled")), "signage_ticker": bool(s.get("ticker")),
            "signage_slide": s.get("slide", "auto"), "signage_duration": str(s.get("duration", 15)),
            "signage_order": str(s.get("order", 0)), "signage_groups": ", ".join(s.get("groups") or []),
            "signage_dayparts": dayparts_text(s.get("dayparts"))}


def item_data(values: dict, current: dict | None = None) -> dict | None:
    """The settings for items.clean_settings (None: not on screens); the stats figures survive."""
    if not values["signage_enabled"] and not values["signage_ticker"] and not (current or {}).get("stats"):
        return None
    data = {"enabled": values["signage_enabled"], "ticker": values["signage_ticker"],
            "slide": values["signage_slide"], "duration": values["signage_duration"].strip() or 15,
            "order": values["signage_order"].strip() or 0, "groups": split_groups(values["signage_groups"]),
            "dayparts": parse_dayparts(values["signage_dayparts"], "signage")}
    for name in ("duration", "order"):
        if isinstance(data[name], str) and data[name].lstrip("-").isdigit():
            data[name] = int(data[name])
    if (current or {}).get("stats"):
        data["stats"] = current["stats"]
    return data


def item_changes(form, values: dict, current: dict | None = None) -> dict:
    """{"signage": ...} for the item services when the form carried the 信息屏 fieldset, else {}."""
    return {"signage": item_data(values, current)} if form.get("signage_form") else {}
