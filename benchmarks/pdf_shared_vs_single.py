"""LibreOffice starts shared by many letters against one start per letter.

    python benchmarks/pdf_shared_vs_single.py [LETTERS]

Converts the same letters (the sample's resolution letter, LETTERS copies, default 24)
once with one LibreOffice start for all, then with one start per letter, and prints the
seconds each took and the ratio.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from letterkit import load_record, make_letter
from letterkit.delivery.pdf import PdfConverter
from letterkit.resources import data_path


def main(count: int = 24) -> None:
    record = load_record(data_path("samples") / "complaint.yaml")
    letter = make_letter(record, "resolution", language="en", layout="block",
                         today=dt.date(2026, 11, 26))
    with tempfile.TemporaryDirectory() as tmp:
        documents = []
        for n in range(count):
            path = Path(tmp) / f"letter-{n}.docx"
            path.write_bytes(letter.docx)
            documents.append(path)
        shared = PdfConverter(Path(tmp))
        shared.convert(documents[:1])  # LibreOffice makes its profile on first use
        start = time.perf_counter()
        made = shared.convert(documents)
        together = time.perf_counter() - start
        start = time.perf_counter()
        for document in documents:
            shared.convert([document])
        apart = time.perf_counter() - start
    assert all(isinstance(pdf, bytes) for pdf in made.values())
    print(f"{count} letters, one LibreOffice start: {together:6.1f} s")
    print(f"{count} letters, one start each:        {apart:6.1f} s")
    print(f"ratio:                                {apart / together:6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 24)
