"""The shipped samples agree with the record model and with each other."""

from __future__ import annotations

import csv

from letterkit.inputs import load_record
from letterkit.record import Record
from letterkit.resources import data_path
from letterkit.sources import csv_columns, flatten

SAMPLES = data_path("samples")


def test_sample_csv_header_shows_every_column() -> None:
    """The CSV's header is every column the record model allows, in model order."""
    with (SAMPLES / "complaints.csv").open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert csv_columns(Record) == header


def test_sample_csv_rows_are_the_sample_records() -> None:
    """The CSV's rows hold exactly the English and the Telugu sample records, flattened."""
    with (SAMPLES / "complaints.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert 2 == len(rows)
    for row, name in zip(rows, ("complaint.yaml", "complaint.te.yaml"), strict=True):
        record = load_record(SAMPLES / name)
        expected = {k: v for k, v in flatten(record.model_dump()).items() if v}
        assert expected == {k: v for k, v in row.items() if v}
