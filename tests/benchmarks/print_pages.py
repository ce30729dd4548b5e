"""print_pages: how long a 公开栏 print takes and how much memory it needs, for a price list of ROWS
rows (the demo's is ~300; a county hospital's full list a few thousand), on A4 portrait and A3
landscape: seconds, pages, PDF size and the peak of Python allocations while it is laid out
(tracemalloc, in a second run). The staff request waits for this, so it is what a 打印公开栏 click costs.

    .venv/bin/python tests/benchmarks/print_pages.py [ROWS ...]
"""
from __future__ import annotations

import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import pypdfium2 as pdfium  # noqa: E402

from server.boards.print_pdf import Sheet, render  # noqa: E402

COLUMNS = ["项目编码", "项目名称", "计价单位", "价格（元）", "医保类别", "说明"]


def sheet(rows: int) -> Sheet:
    table = {"columns": COLUMNS, "rows": [[f"{110000000 + n}", f"门诊诊查费（第{n}项，含挂号和病历首页）", "次",
                                           f"{n % 500}.50", "甲乙丙"[n % 3], "须经省卫生健康委认定" if n % 7 == 0 else ""]
                                          for n in range(rows)]}
    return Sheet(unit_name="县第一人民医院", title="2026 年医疗服务项目价格公示",
                 body="## 说明\n\n以下价格依据**湖南省医疗服务价格项目目录**执行。\n\n- 如有疑问请拨打物价投诉电话",
                 number=3, verification="第 3 版 · 2026-12-06 审定", published="2026-12-06 09:00",
                 qr_url="http://192.168.1.10:8080/f/GKL1?item=12&v=3", board_name="门诊大厅院务公开栏", table=table)


def main(sizes=(300, 3000)) -> list[dict]:
    started = time.perf_counter()
    render(sheet(1), "A4", "portrait")     # the CJK font is read once per process: reported apart
    print(f"first print of the process (reads the CJK font): {time.perf_counter() - started:.2f} s")
    figures = []
    for rows in sizes:
        for paper, orientation in (("A4", "portrait"), ("A3", "landscape")):
            started = time.perf_counter()
            pdf = render(sheet(rows), paper, orientation)
            took = time.perf_counter() - started
            tracemalloc.start()            # a second run for memory: tracemalloc slows reportlab down
            render(sheet(rows), paper, orientation)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            pages = len(pdfium.PdfDocument(pdf))
            figures.append({"rows": rows, "paper": f"{paper} {orientation}", "seconds": took, "pages": pages,
                            "kib": len(pdf) / 1024, "peak_mib": peak / 2**20})
            print(f"{rows:>6} rows  {paper} {orientation:<9}  {took:6.2f} s  {pages:>4} pages  "
                  f"{len(pdf) / 1024:8.1f} KiB  peak {peak / 2**20:6.1f} MiB")
    return figures


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or (300, 3000))
