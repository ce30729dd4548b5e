"""The CSV reader on the shapes real exports come in (server/disclosure/csvread.py), and its refusals:
each names the line or the byte, in Chinese and in English, through the drop folder's reader and the
API's `PUT /items/<id>/table` alike."""
from __future__ import annotations

import pytest

from server.disclosure.csvread import read_table
from server.i18n import text_in
from server.validation import ServiceError

TABLE = [["编码", "名称", "价格"], ["A01", "血常规", "20.00"], ["A02", "CT检查", "300.00"]]


def text(rows, delimiter=",", newline="\n") -> str:
    return newline.join(delimiter.join(r) for r in rows) + newline


def refusal(data: bytes, language: str = "zh", max_rows: int = 50_000) -> str:
    with pytest.raises(ServiceError) as err:
        read_table(data, max_rows)
    (_code, params), = err.value.fields.values()
    key, words = params["detail"]
    return text_in(language, key, **words)


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-be-bom"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_delimiter_encoding_and_line_ending(delimiter, encoding, newline):
    body = text(TABLE, delimiter, newline)
    data = ("\ufeff" + body).encode("utf-16-be") if encoding == "utf-16-be-bom" else body.encode(encoding)
    read = read_table(data, 100)
    assert read.table == {"columns": TABLE[0], "rows": TABLE[1:]}
    assert read.delimiter == delimiter and read.notes == []


def test_quoting_is_excel_s_anywhere_in_the_file():
    filler = "".join(f"B{n:04d},项目{n},{n}.00\n" for n in range(400))
    tail = 'Y1,"阿莫西林""儿童""颗粒","1,234.50"\nY2,"两行\n的名称",5\n'
    read = read_table(("编码,名称,价格\n" + filler + tail).encode(), 1000)
    assert read.rows[-2:] == [["Y1", '阿莫西林"儿童"颗粒', "1,234.50"], ["Y2", "两行\n的名称", "5"]]


@pytest.mark.parametrize("above", [["2026年12月医疗服务价格表"], ["2026年12月医疗服务价格表", "制表单位：第一人民医院,,,"],
                                   ["价格表,,,", "", "单位：元"]])
def test_title_lines_above_the_header_are_skipped_with_a_note(above):
    read = read_table(("\n".join(above) + "\n" + text(TABLE)).encode("gbk"), 100)
    assert read.table == {"columns": TABLE[0], "rows": TABLE[1:]}
    (note,) = read.notes
    assert note[0] == "csv.note_title" and note[1]["rows"] == len([a for a in above if a.strip(", ")])


def test_empty_trailing_columns_and_rows_are_dropped():
    data = "".join(",".join(r) + ",,\n" for r in TABLE) + ",,,,\n\n,,,,\n"
    read = read_table(data.encode(), 100)
    assert read.table == {"columns": TABLE[0], "rows": TABLE[1:]} and read.notes == [("csv.note_trailing", {"n": 2})]


def test_rare_names_in_a_real_gbk_file_are_read():
    data = "姓名,科室,职称\n王喆,内科,主任医师\n李堃,外科,副主任医师\n张赟,儿科,主治医师\n".encode("gbk")
    assert read_table(data, 100).rows[0] == ["王喆", "内科", "主任医师"]


@pytest.mark.parametrize("data, zh, en", [
    ("Lieferant,Artikel\nMüller,Spülmaschine\nHöfer,Kühlschrank\n".encode("cp1252"),
     "从第 20 个字节（偏移 19，0xFC）起不是 UTF-8，按 GBK 读出的文字有 100% 是生僻字", "from byte 20 (offset 19, 0xFC) it is not UTF-8"),
    ("品名,價格\n藥品,十元\n醫療,二十元\n".encode("big5"), "按 GBK 读出的文字有", "rare characters"),
    (b"item,price\n\xff\xfe\xfd,20\n", "从第 12 个字节（偏移 11，0xFF）起既不是 UTF-8 也不是 GBK", "from byte 12 (offset 11, 0xFF)"),
    (text(TABLE).encode()[:30] + b"\x00" + text(TABLE).encode()[30:], "第 31 个字节（偏移 30）是空字节", "byte 31 (offset 30) is a NUL"),
    (text(TABLE).encode("gbk") + b"\x00" * 8, "是空字节（0x00）", "is a NUL"),
    (("\ufeff" + text(TABLE)).encode("utf-16-le")[:-2] + b"\x00\x00", "）是空字节（0x00）", "is a NUL"),
    (b"\xff\xfe" + "编码,名称".encode("utf-16-le") + b"\x00\xd8", "UTF-16 编码有误：第 13 个字节（偏移 12，0x00）", "UTF-16 decoding error at byte 13 (offset 12, 0x00)"),
    ("编码,名称\n".encode(), "至少需要表头和一行数据", "at least one data row"),
    ("编码,,名称\nA,B,C\n".encode(), "第 1 行（表头）第 2 列没有列名", "line 1 (the header): column 2 has no name"),
    ("编码,名称\nA01,血常规\nA02,\"CT\n检查\",多余\nA03,B超\n".encode(), "第 3 行有 3 列，表头有 2 列", "row 3 has 3 columns"),
    ("编码,名称,价格\nA01,血常规\n".encode(), "第 2 行有 2 列，表头有 3 列", "row 2 has 2 columns"),
    (("编码,名称\nA01," + "长" * 2001 + "\n").encode(), "第 2 行有单元格超过 2000 个字符", "row 2 has a cell longer"),
    (("编码,名称\nA01,\"" + "x" * 140_000 + "\n").encode(), "第 2 行起格式有误：引号未闭合", "from line 2: an unclosed quote"),
])
def test_refusals_name_the_line_or_byte(data, zh, en):
    assert zh in refusal(data)
    assert en in refusal(data, "en")


def test_too_many_rows():
    assert "行数超过上限 1" in refusal(text(TABLE).encode(), max_rows=1)


def test_the_api_reads_and_refuses_tables_the_same_way(api):
    item = api.create(title="价格表")
    data = ("2026年价格表\n" + "".join(",".join(r) + ",,\n" for r in TABLE)).encode("utf-16")
    put = api.call("PUT", f"/items/{item['id']}/table?version={item['version']}", "alice", data=data,
                   headers={"Content-Type": "text/csv"})
    assert put.status_code == 200, put.get_json()
    got = api.call("GET", f"/items/{item['id']}", "alice").get_json()
    assert got["table"] == {"columns": TABLE[0], "rows": TABLE[1:]}
    bad = api.call("PUT", f"/items/{item['id']}/table?version={got['version']}", "alice",
                   data=text(TABLE).encode()[:40] + b"\x00", headers={"Content-Type": "text/csv",
                                                                        "Accept-Language": "en"})
    assert bad.status_code == 422 and "byte 41 (offset 40) is a NUL" in bad.get_json()["fields"]["table"]
