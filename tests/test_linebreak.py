"""Chinese line breaking (screen/linebreak.py), pure: every CJK character a break opportunity,
digit/Latin runs whole, 避头尾, greedy lines no wider than asked, markup tags kept with their text.
The same rules are checked on what Kivy really draws in the kiosk and signage UI tests
(kivy_windows.line_break_problems), with the demo's own texts."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from screen.linebreak import CLOSING, JOINERS, OPENING, break_lines, is_cjk, units

NOTICE = "如有疑问请拨打服务热线 0571-12345678。本院将持续优化就医流程，为患者提供便捷、高效的医疗服务。"
ALERT = "10:30 起进行消防疏散演练，请听从工作人员指挥，有序从最近的安全出口离开。"


def measure(text, style=frozenset()):
    """CJK 2 units wide, everything else 1; bold one unit wider per character (to see styles count)."""
    return sum((2 if is_cjk(c) else 1) + (1 if "b" in style else 0) for c in text)


def lines_of(text, width, **kw):
    return break_lines(text, width, measure, **kw).split("\n")


def test_the_two_reported_cases():
    # Kivy pushed "0571-12345678。本院…" (one "word" to it) to the next line as a block
    assert lines_of(NOTICE, 40) == ["如有疑问请拨打服务热线 0571-12345678。本", "院将持续优化就医流程，为患者提供便捷、高",
                                    "效的医疗服务。"]
    assert lines_of(NOTICE, 34) == ["如有疑问请拨打服务热线", "0571-12345678。本院将持续优化就医",
                                    "流程，为患者提供便捷、高效的医疗服", "务。"]
    # …and left "10:30" alone on the alert's first line
    assert lines_of(ALERT, 30) == ["10:30 起进行消防疏散演练，请听", "从工作人员指挥，有序从最近的安", "全出口离开。"]


def test_runs_stay_whole_and_breaks_come_around_them():
    assert [u.raw for u in units("电话0571-12345678转8:00，共97.4%（A.B@c.cn）")] == [
        "电", "话", "0571-12345678", "转", "8:00，", "共", "97.4%", "（A.B@c.cn）"]
    assert [u.raw for u in units("2026年11月21日")] == ["2026", "年", "11", "月", "21", "日"]
    assert [u.raw for u in units("「好」。")] == ["「好」。"]


def test_markup_tags_take_no_width_and_stay_with_their_text():
    text = "自12月1日起，门诊上午 [b]8:00[/b] 开诊，下午 13:30 开诊。"
    out = break_lines(text, 24, measure, markup=True)
    assert out == "自12月1日起，门诊上午\n[b]8:00[/b] 开诊，下午\n13:30 开诊。"  # spaces at the breaks go
    assert "[b]8:00[/b]" in out and all(line.count("[") == line.count("]") for line in out.split("\n"))
    assert [u.raw for u in units("&bl;注&br;[b]重要[/b]", markup=True)] == ["&bl;注&br;", "[b]重", "要[/b]"]
    # bold is measured as bold: the same text breaks earlier
    assert len(lines_of("[b]" + "字" * 20 + "[/b]", 40, markup=True)) > len(lines_of("字" * 20, 40))


def test_hard_breaks_and_spaces():
    assert break_lines("一\n\n二", 10, measure) == "一\n\n二"
    assert break_lines("  缩进", 10, measure) == "  缩进"          # the text's own leading spaces stay
    assert break_lines("ab cd ef", 5, measure) == "ab cd\nef"     # a space at a break goes
    assert break_lines("", 10, measure) == "" and break_lines("字", 0, measure) == "字"


def test_a_unit_wider_than_the_line_is_cut():
    assert lines_of("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_max_lines_ends_with_an_ellipsis_that_fits():
    out = lines_of(NOTICE, 20, max_lines=2)
    assert len(out) == 2 and out[-1].endswith("…") and all(measure(line) <= 20 for line in out)
    assert lines_of("短", 20, max_lines=2) == ["短"]


CHARS = list("医院门诊公开信息，。、；：？！）》」（《「") + list("0123456789abcXYZ-:./%") + ["\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CHARS + [" "]), max_size=80).map("".join), st.integers(min_value=12, max_value=60))
def test_properties_with_spaces(text, width):
    out = break_lines(text, width, measure)
    assert re.sub(r"\s", "", out) == re.sub(r"\s", "", text)  # nothing lost, nothing added
    widest = max((u.width(measure) for u in units(text) if not u.space), default=0)
    assert all(measure(line.rstrip(" ")) <= width for line in out.split("\n")) or widest > width


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CHARS), max_size=80).map("".join), st.integers(min_value=12, max_value=60))
def test_properties(text, width):
    out = break_lines(text, width, measure)
    assert re.sub(r"\s", "", out) == re.sub(r"\s", "", text)  # nothing lost, nothing added
    widest = max((u.width(measure) for u in units(text) if not u.space), default=0)
    lines = out.split("\n")
    for line in lines:
        assert measure(line.rstrip(" ")) <= width or widest > width
    if widest > width:
        return  # a unit had to be cut: the rules below need lines wide enough for every unit
    hard = {n for n, _ in enumerate(_hard_ends(text, lines))}
    for n, (a, b) in enumerate(zip(lines, lines[1:])):
        if n in hard or not a.strip() or not b.strip():
            continue
        assert b.lstrip(" ")[0] not in CLOSING, (a, b)
        assert a.rstrip(" ")[-1] not in OPENING, (a, b)
        assert not (_word(a.rstrip(" ")[-1]) and (_word(b.lstrip(" ")[0]) or b.lstrip(" ")[0] in JOINERS)), (a, b)
        nxt = units(b)[0]
        assert measure(a) + nxt.width(measure) > width, ("needless break", a, b)  # greedy


def _word(c):
    return (c.isalnum() or c == "_") and not is_cjk(c)


def _hard_ends(text, lines):
    """Indexes (as a list of n) of lines that end at one of the text's own newlines."""
    paragraphs, ends, index, consumed = [p.replace(" ", "") for p in text.split("\n")], [], 0, ""
    for n, line in enumerate(lines):
        consumed += line.replace(" ", "")
        if index < len(paragraphs) and consumed == paragraphs[index]:
            ends.append(n)
            index, consumed = index + 1, ""
    return [(n, None) for n in ends]
