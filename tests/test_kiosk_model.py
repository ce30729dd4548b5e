"""The kiosk's pure logic (no Kivy window): tiles and counts, the 公示 badge, the Markdown subset and
hostile text, tables, search by pinyin initials, the screenshot upload and the command line."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

import httpx
import pytest

import kiosk_fixtures as kf
from screen.sync import SyncClient
from screen import markdown, present
from screen import theme
from screen.fonts import find_cjk_font, find_cjk_fonts
from kiosk.search import SearchIndex, initials
from screen.upload import upload_screenshot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = datetime.now(kf.CST)


@pytest.fixture
def manifest(tmp_path):
    kf.build_cache(tmp_path, table_rows=50)
    return SyncClient("http://127.0.0.1:9", str(tmp_path)).cached_manifest()


def test_fixture_cache_verifies_like_a_synced_one(manifest):
    assert manifest is not None and manifest["device"]["screen_code"] == kf.SCREEN_CODE


def test_visible_items_hide_expired_ones(manifest):
    ids = [i["id"] for i in present.visible(manifest, NOW)]
    assert 8 not in ids and {1, 2, 3, 4, 5} <= set(ids)
    assert 4 not in [i["id"] for i in present.visible(manifest, NOW + timedelta(days=10))]


def test_tiles_are_public_categories_with_counts(manifest):
    tiles = present.public_tiles(manifest, present.visible(manifest, NOW))
    names = [t.name for t in tiles]
    assert names[:2] == ["资质信息", "医疗服务价格"] and "公示公告" in names and "医疗服务信息" not in names
    by_name = {t.name: t.count for t in tiles}
    assert by_name["资质信息"] == 1 and by_name["便民措施"] == 0


def test_badge_counts_working_days(manifest):
    notice = next(i for i in manifest["items"] if i["id"] == 4)
    text = present.badge_text(manifest, notice, NOW)
    assert text.startswith("公示中 · 还剩 ") and text.endswith(" 个工作日")
    assert 1 <= int(text.split()[3]) <= 9  # the window ends 9 days from now
    assert present.badge_text(manifest, manifest["items"][1], NOW) == ""
    assert present.badge_text(manifest, notice, NOW + timedelta(days=20)) == ""


def test_markdown_subset_and_escaping():
    blocks = markdown.markdown_blocks("# 标题\n\n第一段**加粗**文字\n继续。\n\n- 甲\n* 乙\n2. 丙\n\n"
                                   "| 项目 | 价格 |\n|---|---|\n| 血常规 | 20 |\n\n[b]x[/b] & [color=f00]")
    assert blocks[0] == ("h1", "标题")
    assert blocks[1] == ("p", "第一段[b]加粗[/b]文字继续。")
    assert [b[1] for b in blocks[2:5]] == ["•  甲", "•  乙", "2.  丙"]
    assert blocks[5][0] == "tr" and "血常规" in blocks[6][1]
    assert blocks[-1] == ("p", "&bl;b&br;x&bl;/b&br; &amp; &bl;color=f00&br;")


def test_huge_body_is_cut_with_a_notice():
    blocks = markdown.markdown_blocks("很长的正文。" * 900_000)
    assert sum(len(b[1]) for b in blocks) < present.MAX_BODY + 200
    assert all(len(b[1]) <= present.MAX_BLOCK for b in blocks[:-1]) and "扫码" in blocks[-1][1]


def test_ragged_and_garbage_tables_are_squared():
    items = {i["id"]: i for i in kf.hostile_items()}
    columns, rows = present.table_of(items[23])
    assert columns == ["甲", "乙", "丙"] and all(len(r) == 3 for r in rows)
    assert rows[0] == ["1", "", ""] and rows[4] == ["x", "", ""] and rows[5] == ["", "5", "[b]"]
    assert present.table_of(items[24]) is None and present.text(None) == ""


def test_initials():
    assert initials("血常规") == "xcg" and initials("CT检查") == "ctjc" and initials("B超, 12") == "bc12"


def test_search_by_initials_text_and_rows():
    items = kf.standard_items(table_rows=2000)
    index = SearchIndex(items)
    xcg = index.search("xcg")
    assert xcg and xcg[0].cells[1] == "血常规" and xcg[0].row == 0
    assert any(h.item["title"] == "CT检查预约须知" for h in index.search("ct"))
    assert [h.item["id"] for h in index.search("就医指南")][:1] == [2]
    assert index.search("自助机")[0].item["id"] == 2  # body text
    assert index.search("") == [] and index.search("zzzzqqq") == []
    assert [(h.item["id"], h.row) for h in index.search("CT")] == [(h.item["id"], h.row) for h in index.search("ct")]


def test_search_keystroke_over_20000_rows_is_fast():
    t = time.perf_counter()
    index = SearchIndex(kf.standard_items(table_rows=20_000))
    index.prepare_rows()  # the kiosk does this in a thread after its first frame
    build = time.perf_counter() - t
    for query in ("x", "xc", "xcg", "血", "血常", "1999"):
        t = time.perf_counter()
        index.search(query)
        assert time.perf_counter() - t < 0.02, query
    assert build < 10


def test_contrast_pairs():
    assert all(theme.contrast(fg, bg) >= 4.5 for fg, bg in theme.PAIRS.values())
    assert theme.contrast((1, 1, 1, 1), (1, 1, 0, 1)) < 4.5  # the check can fail


def test_cjk_font_found_or_loud(monkeypatch, tmp_path):
    assert os.path.isfile(find_cjk_font())
    monkeypatch.setenv("GONGKAI_CJK_FONT", str(tmp_path / "nope.ttf"))
    with pytest.raises(RuntimeError, match="does not exist"):
        find_cjk_font()


def test_screenshot_upload_uses_the_device_token(tmp_path):
    kf.build_cache(tmp_path, table_rows=1)
    seen = []

    def handle(request):
        seen.append(request)
        return httpx.Response(201, json={"sha256": "x"})
    status = upload_screenshot("http://gk.example", str(tmp_path), b"\x89PNG...", httpx.MockTransport(handle))
    assert status == 201 and seen[0].url.path == "/api/v1/devices/screenshot"
    assert seen[0].headers["Authorization"] == "Bearer tok-1" and seen[0].content == b"\x89PNG..."
    assert upload_screenshot("http://gk.example", str(tmp_path / "none"), b"x") == 0


def test_help_does_not_start_kivy():
    result = subprocess.run([sys.executable, "-m", "kiosk", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    for option in ("--server", "--data", "--fullscreen", "--idle-seconds"):
        assert option in result.stdout
    bad = subprocess.run([sys.executable, "-m", "kiosk", "--server", "http://x", "--size", "big"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "WxH" in bad.stderr


def test_bold_face_is_a_real_bold_simplified_chinese_font(tmp_path, monkeypatch):
    """Kivy draws `bold` only from a bold file: headings must get a heavier SC face, not JP."""
    from fontTools.ttLib import TTFont
    from PIL import ImageFont
    monkeypatch.setenv("GONGKAI_FONT_CACHE", str(tmp_path / "fonts"))
    regular, bold = find_cjk_fonts()
    assert regular != bold
    for path in (regular, bold):
        assert TTFont(path, lazy=True)["name"].getDebugName(1) == "Noto Sans CJK SC"

    def ink(path):
        return sum(ImageFont.truetype(path, 48).getmask("门诊就医指南"))
    assert ink(bold) > ink(regular) * 1.15
    assert find_cjk_fonts() == (regular, bold)            # extracted once, then reused


def test_fonts_fall_back_when_the_faces_cannot_be_extracted(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("GONGKAI_FONT_CACHE", str(blocker / "fonts"))
    regular, bold = find_cjk_fonts()
    assert os.path.isfile(regular) and bold == regular    # a CJK font still, only without bold
