"""Form fields in, plain dicts out: what the HTML forms send, shaped for the service layer."""
from __future__ import annotations

from datetime import datetime

from content.model import Audience, AudiencePlan, Period, Role, TimeRuleKind
from server.admin.render import local_zone
from server.disclosure.catalog import category_dict
from server.errors import field_messages
from server.i18n import t

AUDIENCES = tuple(a.value for a in Audience)
ROLES = tuple(r.value for r in Role)
RULE_KINDS = tuple(k.value for k in TimeRuleKind)
PERIODS = tuple(p.value for p in Period)


def field_errors(exc) -> dict[str, str]:
    """Field → Chinese (or English) message from a ServiceError."""
    out = field_messages(exc.fields)
    if not out:
        out["_form"] = t(exc.code, **exc.params)
    return out


def to_local_input(value: datetime | None) -> str:
    """A stored UTC time as the value of a `datetime-local` input."""
    return value.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M") if value else ""


def from_local_input(value: str) -> str | None:
    """A `datetime-local` value as ISO 8601 with the local offset; unparseable text passes through
    so the service reports it."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=local_zone())
    return when.isoformat()


def item_values(form) -> dict:
    """What the user typed into the item form, to fill it again."""
    return {"category": form.get("category", ""), "title": form.get("title", ""),
            "body": form.get("body", ""),
            "audiences": [a for a in form.getlist("audiences") if a in AUDIENCES],
            "window_start": form.get("window_start", ""), "window_end": form.get("window_end", ""),
            "sensitive": bool(form.get("sensitive")), "version": form.get("version", "")}


def revision_values(item, rev) -> dict:
    """The item form filled from a stored revision."""
    plan = AudiencePlan.from_list(rev.audiences) if rev.audiences else None
    return {"category": item.category.key, "title": rev.title, "body": rev.body or "",
            "audiences": sorted(a.value for a in plan.all()) if plan else [],
            "window_start": to_local_input(rev.window_start),
            "window_end": to_local_input(rev.window_end),
            "sensitive": bool(rev.sensitive), "version": str(rev.edit_version)}


def new_item_data(values: dict) -> dict:
    """create_draft input: no audiences and no sensitivity unless chosen (the category decides)."""
    data = {"category": values["category"], "title": values["title"], "body": values["body"]}
    if values["audiences"]:
        data["audiences"] = values["audiences"]
    if values["window_start"] or values["window_end"]:
        data["window"] = {"start": from_local_input(values["window_start"]),
                          "end": from_local_input(values["window_end"])}
    if values["sensitive"]:
        data["sensitive"] = True
    return data


def edit_item_data(values: dict, current: dict) -> dict:
    """edit_draft input; audiences are sent only when changed, so 先内后外 steps survive a save."""
    data = {"category": values["category"], "title": values["title"], "body": values["body"],
            "sensitive": values["sensitive"],
            "window": {"start": from_local_input(values["window_start"]),
                       "end": from_local_input(values["window_end"])}}
    if set(values["audiences"]) != set(current["audiences"]):
        data["audiences"] = values["audiences"]
    return data


def _int_or_text(value: str):
    value = (value or "").strip()
    return int(value) if value.isdigit() else value


def category_values(form) -> dict:
    """The category form as typed."""
    return {"key": form.get("key", "").strip(), "parent": form.get("parent", ""),
            "name": form.get("name", ""), "name_en": form.get("name_en", ""),
            "owner": form.get("owner", ""), "description": form.get("description", ""),
            "audiences": [a for a in AUDIENCES if a in form.getlist("audiences")],
            "kind": form.get("kind", "standing"), "period": form.get("period", ""),
            "due_day": form.get("due_day", ""), "working_days": form.get("working_days", ""),
            "sensitive": bool(form.get("sensitive")),
            "disclosure_days": form.get("disclosure_days", "")}


def stored_category_values(cat) -> dict:
    data = category_dict(cat)
    rule = data["time_rule"]
    return {**data, "parent": data.get("parent", ""), "kind": rule.get("kind", "standing"),
            "period": rule.get("period", ""), "due_day": str(rule.get("due_day", "")),
            "working_days": str(rule.get("working_days", "")),
            "disclosure_days": str(data["disclosure_days"])}


def category_data(values: dict) -> dict:
    """A catalog entry for content.catalog.validate_category; only the chosen kind's rule fields."""
    rule = {"kind": values["kind"]}
    wanted = {"periodic": ("period", "due_day"), "immediate": ("working_days",)}.get(values["kind"], ())
    for name in wanted:
        if values[name] != "":
            rule[name] = values[name] if name == "period" else _int_or_text(values[name])
    data = {"key": values["key"], "name": values["name"], "name_en": values["name_en"],
            "owner": values["owner"], "description": values["description"],
            "audiences": values["audiences"], "time_rule": rule, "sensitive": values["sensitive"]}
    if values["parent"]:
        data["parent"] = values["parent"]
    if values["disclosure_days"] != "":
        data["disclosure_days"] = _int_or_text(values["disclosure_days"])
    return data


def user_values(form) -> dict:
    return {"username": form.get("username", "").strip(), "display_name": form.get("display_name", ""),
            "password": form.get("password", ""),
            "roles": [r for r in ROLES if r in form.getlist("roles")]}
