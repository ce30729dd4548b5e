"""content/searchkeys.py: pinyin initials shared by the server's feed and the kiosk's search."""
from content.searchkeys import initials, row_keys, search_keys


def test_initials_of_chinese_and_ascii():
    assert initials("血常规") == "xcg"
    assert initials("CT检查") == "ctjc"
    assert initials("B超（腹部）") == "bcfb"
    assert initials("") == "" and initials(None) == ""


def test_row_and_title_keys():
    table = {"columns": ["名称", "价格"], "rows": [["阿莫西林", "12"], ["头孢 克肟", "3"]]}
    assert row_keys(table) == ["amxl12", "tbkw3"]
    assert search_keys("药品价格", table) == {"title": "ypjg", "rows": ["amxl12", "tbkw3"]}
    assert search_keys("公告") == {"title": "gg", "rows": []}


def test_the_kiosk_search_agrees():
    from kiosk.search import initials as kiosk_initials
    for text in ["血常规", "CT检查", "核磁共振 MRI", "出诊信息-周一", "㐀"]:
        assert initials(text) == kiosk_initials(text)
