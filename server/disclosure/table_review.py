"""The reviewer's table check in words: content.tablediff's diff against the published table and
its warnings, as the item page shows them and the drop folder's reason files write them."""
from __future__ import annotations

from content.tablediff import DEFAULT_KEYS, review_diff, table_warnings
from server.i18n import msg


def _names(values) -> str:
    return "、".join(str(v) for v in values)


WORDS = {
    "mass_removal": lambda p: msg("diff.warn_mass_removal", removed=p["removed"], total=p["total"],
                                  percent=p["percent"]),
    "duplicate_keys": lambda p: msg("diff.warn_duplicate_keys", column=p["column"], count=p["count"],
                                    examples=_names(p["examples"])),
    "duplicate_headers": lambda p: msg("diff.warn_duplicate_headers", names=_names(p["names"])),
}


def warning_msgs(warnings: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """content.tablediff warnings as catalogue messages (key, params)."""
    return [WORDS[code](params) for code, params in warnings]


def for_item_page(live, rev, preferred=DEFAULT_KEYS) -> tuple[dict | None, list[tuple[str, dict]]]:
    """(the diff against the live revision or None, the warnings as catalogue messages): a newer
    revision is checked against the live table, any other on its own (repeated keys or names)."""
    diff = review_diff(live, rev, preferred)
    if diff is not None:
        return diff, warning_msgs(diff["warnings"])
    if rev is None or not (rev.table or {}).get("columns"):
        return None, []
    return None, warning_msgs(table_warnings(None, rev.table, preferred))
