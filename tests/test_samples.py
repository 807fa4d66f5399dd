"""The shipped samples agree with the record model and with each other."""

from __future__ import annotations

import csv

from letterkit.letters import load_record
from letterkit.record import Record
from letterkit.resources import data_path
from letterkit.sources import csv_columns, flatten

SAMPLES = data_path("samples")


def test_sample_csv_header_shows_every_column() -> None:
    """The CSV's header is every column the record model allows, in model order."""
    with (SAMPLES / "complaints.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert csv_columns(Record) == header


def test_sample_csv_row_is_the_sample_record() -> None:
    """The CSV's row holds exactly the sample record, flattened."""
    with (SAMPLES / "complaints.csv").open(encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    record = load_record(SAMPLES / "complaint.yaml")
    expected = {k: v for k, v in flatten(record.model_dump()).items() if v}
    assert expected == {k: v for k, v in row.items() if v}
