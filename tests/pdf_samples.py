"""Small PDFs made by hand for tests and benchmarks: a few hundred bytes whose pages are very tall."""
from __future__ import annotations


def tall_pdf(pages: int = 2, width: int = 400, height: int = 14400) -> bytes:
    """Pages of width × height points: rendered screen-wide (1600 px) each needs 1600 × 57 600 pixels."""
    objs, kids = ["<< /Type /Catalog /Pages 2 0 R >>", ""], []
    for _ in range(pages):
        content = f"0 0 0 RG 2 w 10 10 m {width - 10} {height - 10} l S"
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents {len(objs) + 2} 0 R >>")
        kids.append(f"{len(objs)} 0 R")
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>"
    out, offsets = bytearray(b"%PDF-1.6\n"), []
    for n, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode() + "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
