"""Reading real exports and dropped files: CSV details, the reviewer's table warnings, PDF limits."""

STRINGS: dict[str, tuple[str, str]] = {
    "csv.bad_byte": ("{encoding} 编码有误：第 {n} 个字节（偏移 {offset}，0x{byte}）无法解码",
                     "{encoding} decoding error at byte {n} (offset {offset}, 0x{byte})"),
    "csv.encoding_at": ("无法识别文件编码：从第 {n} 个字节（偏移 {offset}，0x{byte}）起既不是 UTF-8 也不是 GBK"
                        "（支持 UTF-8、GBK/GB18030 和带 BOM 的 UTF-16）",
                        "unknown text encoding: from byte {n} (offset {offset}, 0x{byte}) it is neither UTF-8 nor GBK "
                        "(UTF-8, GBK/GB18030 and UTF-16 with a BOM are read)"),
    "csv.implausible": ("无法识别文件编码：从第 {n} 个字节（偏移 {offset}，0x{byte}）起不是 UTF-8，按 GBK 读出的文字有 "
                        "{share}% 是生僻字，不像中文（可能是 Windows-1252 或 Big5 等编码，请另存为 UTF-8 或 GBK）",
                        "unknown text encoding: from byte {n} (offset {offset}, 0x{byte}) it is not UTF-8, and read as GBK "
                        "{share}% of its letters are rare characters, not Chinese (Windows-1252 or Big5? "
                        "Save it as UTF-8 or GBK)"),
    "csv.nul": ("不是文本文件：第 {n} 个字节（偏移 {offset}）是空字节（0x00）",
                "not a text file: byte {n} (offset {offset}) is a NUL (0x00)"),
    "csv.format_at": ("第 {row} 行起格式有误：引号未闭合或单元格过长",
                      "format error from line {row}: an unclosed quote or a cell far too long"),
    "csv.header_gap": ("第 {row} 行（表头）第 {column} 列没有列名", "line {row} (the header): column {column} has no name"),
    "csv.note": ("{note}", "{note}"),
    "csv.note_title": ("已跳过表头上方的 {rows} 行：「{text}」", "skipped {rows} line(s) above the header: “{text}”"),
    "csv.note_trailing": ("已去掉末尾 {n} 个空列", "dropped {n} empty column(s) at the end"),
    "diff.warnings": ("请注意", "Please check"),
    "diff.warning": ("{warning}", "{warning}"),
    "diff.warn_mass_removal": ("删除了 {removed} 行，占原表 {total} 行的 {percent}%：请确认导出是否完整",
                               "{removed} of {total} rows ({percent}%) removed: is the export complete?"),
    "diff.warn_duplicate_keys": ("「{column}」列有 {count} 个值重复出现（如 {examples}），新旧行可能对应有误",
                                 "{count} values occur more than once in the column “{column}” (e.g. {examples}); "
                                 "rows may be matched wrongly"),
    "diff.warn_duplicate_headers": ("表头有重复的列名：{names}", "the header repeats column names: {names}"),
    "import_item_elsewhere": ("须为本栏目中事项的编号", "must be the number of an item in this category"),
    "field.import": ("收件箱导入", "Drop-folder import"),
    "field.import_item": ("导入事项编号", "Import item number"),
    "field.import_new_items": ("每个文件新建一个事项", "A new item for every file"),
    "field.import_help": ("放入收件箱本栏目文件夹的文件更新此事项（文件名末尾写 #编号 可指定其他事项）；留空则由本栏目首次导入的文件设定。",
                          "Files dropped into this category's inbox folder update this item (a name ending in "
                          "#number picks another); left empty, the category's first imported file sets it."),
    "image.pdf_page_pixels": ("PDF 第 {page} 页过大：按屏幕宽度渲染需 {width}×{height} 像素，超过上限 {max} 像素（未渲染）",
                              "PDF page {page} is too large: rendered for screens it needs {width}×{height} "
                              "pixels, more than the limit of {max} (not rendered)"),
    "image.pdf_page_size": ("PDF 第 {page} 页的页面尺寸无效", "PDF page {page} has an invalid page size"),
}
