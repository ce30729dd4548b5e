"""公开栏: the paper board. Print-ready PDFs of a published revision with its own QR code and
verification line (`print_pdf.py`, refused for anything not published by `prints.py`), records of
which print hangs on which board (`postings.py`), and what a scanned print's QR page says about the
paper's revision (`scan.py`). Tables in `models.py`."""
