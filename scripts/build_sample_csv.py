"""Write samples/complaints.csv from the sample records, so the CSV shows every column a
batch file may have and holds exactly what the YAML samples hold (a test holds the two
together). Run after changing a sample or the record's fields:

    python scripts/build_sample_csv.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from letterkit.inputs import load_record
from letterkit.output import CSV_ENCODING
from letterkit.record import Record
from letterkit.sources import csv_columns, flatten

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def main() -> None:
    columns = csv_columns(Record)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for name in ("complaint.yaml", "complaint.te.yaml"):
        writer.writerow(flatten(load_record(SAMPLES / name).model_dump()))
    # With a byte-order mark, as Excel's "CSV UTF-8" writes it: Excel opens the Telugu row
    # right only with one.
    (SAMPLES / "complaints.csv").write_bytes(buffer.getvalue().encode(CSV_ENCODING))
    print(f"wrote {SAMPLES / 'complaints.csv'}")


if __name__ == "__main__":
    main()
