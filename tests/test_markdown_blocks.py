"""Item bodies on the screens (screen/markdown.py markdown_blocks): read with the server's Markdown
parser and configuration, rendered as (style, Kivy markup) blocks for kiosk/item.py and
signage/slides.py. Covers what the earlier line-by-line reading got wrong and the limits that keep
a hostile body from freezing a screen."""
from __future__ import annotations

import re
import time

from hypothesis import given, settings, strategies as st

from screen import markdown, present

STYLES = {"h1", "h2", "h3", "p", "li", "tr"}
SLOW = 10.0  # seconds: only a runaway (quadratic) reading takes this long, even on a busy machine


def blocks(body):
    return markdown.markdown_blocks(body)


def markup_is_safe(markup: str) -> bool:
    """Only [b]…[/b] pairs, balanced; every other bracket escaped."""
    depth = 0
    for tag in re.findall(r"\[/?[^\]]*\]", markup):
        if tag not in ("[b]", "[/b]"):
            return False
        depth += 1 if tag == "[b]" else -1
        if depth < 0:
            return False
    return depth == 0 and "[" not in re.sub(r"\[/?b\]", "", markup) \
        and "]" not in re.sub(r"\[/?b\]", "", markup)


def test_same_parser_configuration_as_the_server():
    from content import markdown as shared
    from server.admin import render
    from server.records.archive import md as archive_markdown
    mine = markdown._MD.get_active_rules()
    assert markdown._MD is shared.PARSER and render._md is shared.PARSER and archive_markdown is shared
    assert mine == shared.parser_for("正文").get_active_rules()
    assert markdown._MD.options["html"] is False and "table" in mine["block"]


def test_headings_paragraphs_bold_and_lists():
    assert blocks("# 标题\n\n## 小标题\n\n#### 四级\n\n第一段**加粗**文字\n继续。\n\n- 甲\n* 乙\n2. 丙") == [
        ("h1", "标题"), ("h2", "小标题"), ("h3", "四级"), ("p", "第一段[b]加粗[/b]文字继续。"),
        ("li", "•  甲"), ("li", "•  乙"), ("li", "2.  丙")]
    assert blocks("标题\n===\n\n副标题\n---") == [("h1", "标题"), ("h2", "副标题")]  # setext headings


def test_nested_lists_are_indented_and_numbered_like_html():
    pad = markdown.INDENT
    assert blocks("- 门诊\n  - 内科\n    - 心内科\n  - 外科\n- 急诊") == [
        ("li", "•  门诊"), ("li", pad + "◦  内科"), ("li", pad * 2 + "▪  心内科"), ("li", pad + "◦  外科"),
        ("li", "•  急诊")]
    assert blocks("1. 挂号\n1. 就诊\n   - 带好医保卡\n1. 缴费") == [
        ("li", "1.  挂号"), ("li", "2.  就诊"), ("li", pad + "◦  带好医保卡"), ("li", "3.  缴费")]
    assert blocks("3) 三\n4) 四")[0] == ("li", "3.  三")
    # a second paragraph of an item hangs under its text instead of starting a new item
    assert blocks("1. 第一段\n\n   第二段\n2. 下一项") == [
        ("li", "1.  第一段"), ("li", "\u3000 第二段"), ("li", "2.  下一项")]


def test_heading_inside_a_list_is_a_bold_item():
    assert blocks("- # 急诊须知\n- 普通") == [("li", "•  [b]急诊须知[/b]"), ("li", "•  普通")]


def test_numbers_at_a_line_start_are_not_lists():
    # the old reading made "3.5 元" and "2024.年度" numbered items
    assert [s for s, _ in blocks("3.5 元/次\n\n2024.年度报告\n\n1、挂号")] == ["p", "p", "p"]
    assert blocks("3.5 元/次")[0][1] == "3.5 元/次"


def test_markup_typed_by_staff_shows_as_typed():
    got = blocks("请勿输入 [b]粗[/b]、[color=ff0000]红[/color] & [size=99]大 `[i]` **[u]x[/u]**")
    assert got == [("p", "请勿输入 &bl;b&br;粗&bl;/b&br;、&bl;color=ff0000&br;红&bl;/color&br; &amp; "
                         "&bl;size=99&br;大 &bl;i&br; [b]&bl;u&br;x&bl;/u&br;[/b]")]
    assert blocks(r"\*\*不是粗体\*\* &amp;")[0][1] == "**不是粗体** &amp;"
    assert blocks("```\n[b]code[/b]\n```")[0] == ("p", "&bl;b&br;code&bl;/b&br;")


def test_links_images_and_raw_html_give_text_only():
    got = blocks("详见[医院官网](https://example.org)与![院徽](logo.png)。<script>alert(1)</script>")
    assert got == [("p", "详见医院官网与院徽。<script>alert(1)</script>")]  # HTML as typed, like the preview
    assert "https" not in blocks("[官网](https://example.org)")[0][1]
    assert blocks("说明见[注1]。\n\n[注1]: https://example.org")[0] == ("p", "说明见注1。")


def test_tables_show_rows_with_a_bold_header():
    got = blocks("| 项目 | 价格 |\n|:--|--:|\n| **血常规** | 20 |\n| 尿常规 | 10 | 多余 |\n| [b] |")
    assert got == [("tr", "[b]项目[/b]   │   [b]价格[/b]"), ("tr", "[b]血常规[/b]   │   20"),
                   ("tr", "尿常规   │   10"), ("tr", "&bl;b&br;   │   ")]
    wide = "|" + "|".join(f"c{n}" for n in range(30)) + "|\n|" + "-|" * 30 + "\n"
    assert blocks(wide)[0][1].count("│") == present.MAX_COLUMNS - 1
    long_cell = blocks("| 说明 |\n|---|\n| " + "很长" * 500 + " |")[1][1]
    assert len(long_cell) == present.MAX_CELL


def test_line_breaks():
    assert blocks("English line one\nline two") == [("p", "English line one line two")]
    assert blocks("中文第一行\n第二行") == [("p", "中文第一行第二行")]
    assert blocks("第一行  \n第二行\\\n第三行") == [("p", "第一行\n第二行\n第三行")]
    assert blocks("- 项目  \n  续行") == [("li", "•  项目\n\u3000 续行")]
    assert blocks("> 引用**重点**  \n第二行") == [("p", "│ 引用[b]重点[/b]\n│ 第二行")]


def test_a_2_mb_body_is_cut_quickly_with_a_notice():
    body = ("## 标题\n\n- 列表 **粗体** [链接](http://x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            + "很长的正文。" * 60 + "\n\n") * 3000
    assert len(body.encode()) > 2_000_000
    started = time.perf_counter()
    got = blocks(body)
    assert time.perf_counter() - started < SLOW  # about 0.1 s on an idle machine
    assert got[-1] == ("p", present.CUT_NOTICE)
    assert sum(len(m) for _, m in got) < present.MAX_BODY + 2000


def test_long_paragraphs_are_split_and_bold_stays_balanced():
    got = blocks("**" + "加粗" * 2000 + "**")
    assert len(got) == 3 and all(m.startswith("[b]") and m.endswith("[/b]") for _, m in got)
    assert all(len(m) - len("[b][/b]") <= present.MAX_BLOCK for _, m in got)


def test_many_small_blocks_are_capped():
    got = blocks("段落\n\n" * 2000)
    assert len(got) == markdown.MAX_BLOCKS + 1 and got[-1][1] == present.CUT_NOTICE


def test_pathological_bodies_stay_fast():
    """Each takes well under a second on an idle machine; many reference definitions alone took
    seconds to minutes (markdown-it-py 3.0 reads them in quadratic time), so they are read without."""
    for body in ("[a]: b\n" * 3000, "[a]: b\n" * 50 + "x\n" * 9000, "> [a]: b\n" * 2500):
        assert markdown._reference_scan(body[:present.MAX_BODY]) > markdown.MAX_REFERENCE_SCAN
    assert markdown._reference_scan("见[说明][1]。\n\n[1]: https://example.org\n") == 1
    for body in ("[a]: b\n" * 3000, "[a]: b\n" * 50 + "x\n" * 9000, "> [a]: b\n" * 2500,
                 "[" * 20000, "*a **b " * 3000, "a_" * 10000, "> " * 10000 + "x", "- " * 10000):
        started = time.perf_counter()
        got = blocks(body)
        assert time.perf_counter() - started < SLOW, body[:20]
        assert all(markup_is_safe(m) for _, m in got)
    assert blocks("[a]: b\n" * 3000)[0][1].startswith("&bl;a&br;: b")  # shown as typed


def test_odd_values():
    assert blocks(None) == [] and blocks("") == [] and blocks(5) == [("p", "5")]
    assert blocks("a\x00b") == [("p", "ab")] and blocks("a\r\nb") == [("p", "a b")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab中文 \n#*-_>|`[]()!:\\&1.)=") + ["**", "\n\n", "| --- |", "  - "]),
                max_size=120).map("".join))
def test_any_body_gives_safe_blocks(body):
    got = blocks(body)
    assert all(style in STYLES and isinstance(m, str) and markup_is_safe(m) for style, m in got)
    assert all(len(re.sub(r"\[/?b\]", "", m)) <= 4 * present.MAX_BLOCK for _, m in got)


def test_inline_is_one_line_of_the_same_reading():
    assert markdown.inline("**粗**[x] & `[b]`") == "[b]粗[/b]&bl;x&br; &amp; &bl;b&br;"
