"""Records as staff give them: one record file (YAML or JSON), or every row of a CSV,
validated, with the gaps filled from the config."""

from __future__ import annotations

import dataclasses
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from letterkit.config import Config, apply_config
from letterkit.errors import InputError, LetterkitError, Problem
from letterkit.output import write_atomic
from letterkit.record import Record, shown, validate_record
from letterkit.resources import data_path
from letterkit.sources import ROW_PROBLEMS, column_map, csv_rows, load_data_file, open_csv
from letterkit.spreadsheet import excel_values

CSV_SUFFIXES = (".csv", ".tsv", ".txt")


# A file attached to an email beyond this is refused by many mail servers.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def load_record(path: Path, config: Config | None = None) -> Record:
    """Read and validate one record file (YAML or JSON), filling gaps from the config;
    enclosure files are found relative to the record's folder."""
    data = apply_config(load_data_file(path), config or Config())
    return with_enclosure_files(validate_record(data, file=str(path)), path.parent,
                                file=str(path))


def record_from_row(data: dict[str, Any], config: Config, *, file: str, row: int) -> Record:
    """Validate one CSV row (as nested data), filling gaps from the config; dates and
    amounts as Excel writes them are read first (see `letterkit.spreadsheet`); enclosure
    files are found relative to the CSV's folder. A row that was wrong as read (more
    cells than columns, a cell too long: `csv_rows` says so) goes no further."""
    read: list[Problem] = data.get(ROW_PROBLEMS) or []
    if read:
        raise InputError([dataclasses.replace(p, file=file, row=row) for p in read])
    data, problems = excel_values(data, config.date_order)
    if problems:
        raise InputError([dataclasses.replace(p, file=file, row=row) for p in problems])
    record = validate_record(apply_config(data, config), file=file, row=row)
    return with_enclosure_files(record, Path(file).parent, file=file, row=row)


def with_enclosure_files(record: Record, folder: Path, *, file: str | None = None,
                         row: int | None = None) -> Record:
    """The record with each enclosure's file found in `folder` (the record's, or the
    sheet's) or a folder under it; or an InputError naming each file that is not there,
    not a plain file, outside that folder, or too large with the others for one email. A
    file elsewhere is refused: a sheet from outside could otherwise attach any file the
    computer holds (keys, passwords, /proc) to a customer's email."""
    if not any(item.file for item in record.enclosures):
        return record
    problems, items, total = [], [], 0
    root = folder.resolve()
    expected = "a file to attach, beside the record or in a folder under it"
    for n, item in enumerate(record.enclosures, start=1):
        if item.file is None:
            items.append(item)
            continue
        field = f"enclosures.{n}.file"
        try:
            found = (folder / item.file).resolve(strict=True)
            mode, size = (status := found.stat()).st_mode, status.st_size
        except FileNotFoundError:
            problems.append(Problem(f"no such file: {(folder / item.file).resolve()}",
                                    file=file, row=row, field=field,
                                    expected="a file to attach, relative to the record's "
                                    "folder"))
            continue
        except (OSError, RuntimeError) as exc:  # RuntimeError: links that go round
            problems.append(Problem(f"{shown(item.file)} cannot be followed: "
                                    f"{getattr(exc, 'strerror', None) or exc}", file=file,
                                    row=row, field=field, expected=expected))
            continue
        if not found.is_relative_to(root):
            problems.append(Problem(
                f"{found} is outside the record's folder ({root}); letterkit attaches only "
                "files beside the record or in a folder under it, so that no sheet can "
                "attach any file on this computer", file=file, row=row, field=field,
                expected=expected))
        elif not stat.S_ISREG(mode):
            problems.append(Problem(f"{found} is not a plain file", file=file, row=row,
                                    field=field, expected=expected))
        elif size > MAX_ATTACHMENT_BYTES:
            problems.append(Problem(f"{found} is {size // 2**20} MiB, too large "
                                    "to attach to an email", file=file, row=row, field=field,
                                    expected=f"at most {MAX_ATTACHMENT_BYTES // 2**20} MiB"))
        total += size
        items.append(item.model_copy(update={"file": str(found)}))
    if not problems and total > MAX_ATTACHMENT_BYTES:
        problems.append(Problem(f"the files come to {total // 2**20} MiB, too large to "
                                "attach to one email", file=file, row=row,
                                field="enclosures", expected=f"at most "
                                f"{MAX_ATTACHMENT_BYTES // 2**20} MiB in all"))
    if problems:
        raise InputError(problems)
    return record.model_copy(update={"enclosures": items})


def records_in(path: Path, config: Config | None = None,
               columns: Mapping[str, str] | None = None
               ) -> Iterator[tuple[int | None, Record | LetterkitError]]:
    """(row, record or the error that stopped it) for a record file, or for each row of a
    CSV (by its suffix), its columns mapped by `columns` (default: the config's). A CSV
    that cannot be opened at all raises."""
    config = config or Config()
    if path.suffix.lower() not in CSV_SUFFIXES:
        yield None, load_record(path, config)
        return
    source = open_csv(path, columns=column_map(config.columns) if columns is None else columns)
    for row, data in csv_rows(source):
        try:
            yield row, record_from_row(data, config, file=str(path), row=row)
        except LetterkitError as error:
            yield row, error


def record_at_row(path: Path, row: int, config: Config | None = None,
                  columns: Mapping[str, str] | None = None) -> Record:
    """The record of one row of a CSV, by its spreadsheet row number (the header is row 1),
    read as `letterkit batch` reads it."""
    config = config or Config()
    source = open_csv(path, columns=column_map(config.columns) if columns is None else columns)
    last = 1
    for number, data in csv_rows(source):
        if number == row:
            return record_from_row(data, config, file=str(path), row=row)
        last = number
    raise InputError.at(f"there is no row {row} with a complaint (its rows are 2 to {last})",
                        file=str(path), field="row", expected=f"a row from 2 to {last}")


def sample_record() -> Record:
    """The shipped English sample record (`letterkit sample` writes it as complaint.yaml)."""
    return load_record(data_path("samples") / "complaint.yaml")


def write_samples(out_dir: Path, *, force: bool = False) -> tuple[list[Path], list[Problem]]:
    """Write the sample records and CSV into `out_dir`: the files written, and the
    problems (a file already there, without `force`)."""
    written, problems = [], []
    for source in sorted(data_path("samples").iterdir()):
        if not source.is_file():
            continue
        target = out_dir / source.name
        try:
            write_atomic(target, source.read_bytes(), force=force)
        except LetterkitError as error:
            problems += error.problems
            continue
        written.append(target)
    return written, problems
