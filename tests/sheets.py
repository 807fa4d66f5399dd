"""Sheets for tests: rows made from the shipped samples, written as a CSV the way a
spreadsheet would, and read back."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import yaml

from letterkit.record import Record
from letterkit.resources import data_path
from letterkit.sources import csv_columns, flatten

SAMPLES = data_path("samples")
# Both samples' meeting: the one day their acknowledgement, meeting confirmation and
# resolution letter may all carry.
MEETING_DAY = "2026-11-25"


def sample(name: str = "complaint.yaml") -> dict:
    return yaml.safe_load((SAMPLES / name).read_text(encoding="utf-8"))


def rows_like_sample(count: int, bad: dict[int, callable] | None = None) -> list[dict]:
    """`count` records made from the two samples with their own references; `bad` maps a
    row index to a change that breaks that row."""
    english, telugu = sample(), sample("complaint.te.yaml")
    records = []
    for i in range(count):
        record = copy.deepcopy(telugu if i % 5 == 4 else english)
        record["reference"] = f"CMP-2026-{i + 1:04d}"
        (bad or {}).get(i, lambda r: None)(record)
        records.append(record)
    return records


def write_csv(path: Path, records: list[dict], *, encoding: str = "utf-8",
              delimiter: str = ",", line_end: str = "\r\n") -> Path:
    columns = csv_columns(Record, shorthand=True)  # enclosures.N as text, as in YAML
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=delimiter,
                            lineterminator=line_end)
    writer.writeheader()
    for record in records:
        cells = {k: v for k, v in flatten(record).items()}
        writer.writerow({c: cells.get(c, "") for c in columns})
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path



def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def sendable_any_day(folder: Path) -> None:
    """The emails under `folder` without the letter's date header, as an earlier
    letterkit wrote them: for tests that send from another process (where today cannot be
    fixed) and are about something else than the day a letter may go. Their letters are
    dated in November 2026, which `send` would otherwise hold back until then."""
    for eml in folder.rglob("*.eml"):
        raw = eml.read_bytes()
        start = raw.index(b"\r\nX-Letterkit-Dated: ") + 2
        eml.write_bytes(raw[:start] + raw[raw.index(b"\r\n", start) + 2:])
