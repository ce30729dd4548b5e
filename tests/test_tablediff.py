"""content/tablediff.py: property tests (hypothesis) plus the cases a reviewer meets."""
from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings, strategies as st

from content.tablediff import _records, diff_tables, for_review, pick_key, review_diff

COLUMNS = ["项目编码", "名称", "价格"]
cell = st.text(alphabet="血常规CT检查0123456789. ", max_size=4)
row = st.lists(cell, min_size=0, max_size=5)  # ragged: shorter and longer than the header
table = st.builds(lambda rows: {"columns": COLUMNS, "rows": rows}, st.lists(row, max_size=25))


def _norm(rec: dict, columns) -> tuple:
    return tuple(rec.get(c, "") for c in columns)


@settings(max_examples=80, deadline=None)
@given(table)
def test_a_table_against_itself_or_its_shuffle_has_no_changes(t):
    shuffled = {"columns": t["columns"], "rows": random.Random(len(t["rows"])).sample(t["rows"], len(t["rows"]))}
    for other in (t, shuffled):
        d = diff_tables(t, other)
        assert d.empty and d.unchanged == len(t["rows"])


@settings(max_examples=100, deadline=None)
@given(table, table)
def test_counts_add_up_and_the_diff_turns_old_into_new(old, new):
    d = diff_tables(old, new)
    assert len(old["rows"]) == len(d.removed) + len(d.changed) + d.unchanged
    assert len(new["rows"]) == len(d.added) + len(d.changed) + d.unchanged
    cols = d.columns
    all_new = Counter(_norm(r, cols) for r in _records(new)[1])
    all_old = Counter(_norm(r, cols) for r in _records(old)[1])
    unchanged_in_new = all_new - Counter(_norm(r, cols) for r in d.added) - Counter(_norm(c.new, cols) for c in d.changed)
    unchanged_in_old = all_old - Counter(_norm(r, cols) for r in d.removed) - Counter(_norm(c.old, cols) for c in d.changed)
    assert unchanged_in_new == unchanged_in_old and sum(unchanged_in_new.values()) == d.unchanged
    for change in d.changed:
        assert change.changed and all(change.old.get(c, "") != change.new.get(c, "") for c in change.changed)
        assert change.old.get("项目编码", "").strip() == change.new.get("项目编码", "").strip()


@settings(max_examples=80, deadline=None)
@given(table, table)
def test_the_diff_backwards_swaps_added_and_removed(old, new):
    there, back = diff_tables(old, new), diff_tables(new, old)
    cols = there.columns
    assert Counter(_norm(r, cols) for r in there.added) == Counter(_norm(r, cols) for r in back.removed)
    assert Counter(_norm(r, cols) for r in there.removed) == Counter(_norm(r, cols) for r in back.added)
    assert len(there.changed) == len(back.changed) and there.unchanged == back.unchanged


@settings(max_examples=50, deadline=None)
@given(table, table)
def test_without_a_shared_column_whole_rows_are_compared(old, new):
    renamed = {"columns": ["a", "b", "c"], "rows": new["rows"]}
    d = diff_tables(old, renamed)
    assert d.key_column is None and d.changed == []
    assert len(d.added) == len(new["rows"]) and len(d.removed) == len(old["rows"])


def test_price_list_update_keyed_by_code_with_reordered_rows_and_columns():
    old = {"columns": ["项目编码", "项目名称", "价格"],
           "rows": [["A01", "血常规", "20"], ["A02", "CT", "300"], ["A03", "B超", "80"]]}
    new = {"columns": ["价格", "项目名称", "项目编码"],
           "rows": [["85", "B超", "A03"], ["20", "血常规", "A01"], ["600", "核磁", "A04", "extra"]]}
    d = diff_tables(old, new)
    assert d.key_column == "项目编码" and d.unchanged == 1
    assert [r["项目编码"] for r in d.added] == ["A04"] and d.added[0]["#4"] == "extra"
    assert [r["项目编码"] for r in d.removed] == ["A02"]
    (change,) = d.changed
    assert change.key == "A03" and change.changed == ("价格",)
    assert (change.old["价格"], change.new["价格"]) == ("80", "85")


def test_key_choice_first_column_or_preferred_or_explicit():
    a = {"columns": ["名称", "编码", "价格"], "rows": []}
    assert pick_key(a, a) == "编码"
    assert pick_key(a, a, preferred=()) == "名称"
    assert diff_tables(a, a, key="价格").key_column == "价格"
    assert diff_tables(a, a, key="nope").key_column == "编码"


def test_duplicate_keys_match_in_order():
    old = {"columns": ["科室", "医生"], "rows": [["内科", "张"], ["内科", "李"]]}
    new = {"columns": ["科室", "医生"], "rows": [["内科", "张"], ["内科", "王"], ["内科", "赵"]]}
    d = diff_tables(old, new)
    assert [c.new["医生"] for c in d.changed] == ["王"] and [r["医生"] for r in d.added] == ["赵"]


def test_review_data_limits_rows_and_needs_both_tables():
    old = {"columns": ["编码", "价格"], "rows": [[str(n), "1"] for n in range(50)]}
    new = {"columns": ["编码", "价格"], "rows": [[str(n), "2"] for n in range(50)]}
    data = for_review(old, new, limit=5)
    assert data["counts"] == {"added": 0, "removed": 0, "changed": 50, "unchanged": 0}
    assert len(data["changed"]) == 5 and data["changed"][0]["cells"][1] == ("价格", "1", "2", True)
    assert for_review(None, new) is None and for_review(old, {"columns": [], "rows": []}) is None

    class Rev:
        def __init__(self, number, table):
            self.number, self.table = number, table
    assert review_diff(Rev(1, old), Rev(2, new))["live_number"] == 1
    assert review_diff(Rev(2, old), Rev(2, old)) is None and review_diff(None, Rev(1, new)) is None
