"""Many records from a CSV: rows rendered in parallel processes, each bad row reported in
errors.csv, each file written listed in manifest.csv, an interrupted run resumable."""

from __future__ import annotations

import csv
import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from letterkit.delivery.pdf import converter_for_this_process, soffice
from letterkit.errors import EXISTS, CannotWrite, InputError, LetterkitError, Problem
from letterkit.inputs import record_from_row
from letterkit.output import CSV_ENCODING, cannot_write, check_writable, safe_folder_name
from letterkit.record import Record
from letterkit.sources import CsvSource, column_map, count_rows, csv_rows, open_csv
from letterkit.writing import RecordOutcome, WriteOptions, write_records

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("row", "reference", "kind", "language", "path", "sha256")
ERRORS = "errors.csv"
NOTES = "notes.csv"  # letters not made because a row lacks what they need (not errors)
ERROR_COLUMNS = ("row", "reference", "field", "message")
# Rows go to the workers in chunks (fewer hand-offs), and only a few chunks per worker are
# in flight at once, so memory stays flat however long the CSV is.
CHUNK_ROWS = 8
CHUNKS_IN_FLIGHT_PER_JOB = 4


@dataclass
class RowResult:
    """One row's outcome, small enough to send back from a worker. Its problems name the
    CSV file and the spreadsheet row."""

    row: int
    reference: str | None
    outcome: RecordOutcome = field(default_factory=RecordOutcome)
    pdf_starts: int = 0  # LibreOffice starts this row's chunk took (counted on its last row)

    @property
    def failed(self) -> bool:
        return self.outcome.failed

    @property
    def problems(self) -> list[Problem]:
        """Everything that went wrong with the row."""
        error = self.outcome.error
        return [*(error.problems if error is not None else []), *self.outcome.problems]


@dataclass
class BatchSummary:
    """What a batch did, in numbers."""

    rows: int = 0
    letters: int = 0
    files: int = 0
    existing: int = 0  # files already there, kept (resume)
    in_the_way: int = 0  # files already there, kept, so rows failed (neither resume nor force)
    not_made: int = 0  # letters rows could not have
    pdf_starts: int = 0
    failed_rows: int = 0
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def letters_per_second(self) -> float:
        return self.letters / self.seconds if self.seconds else 0.0


def process_rows(
    rows: list[tuple[int, dict[str, object]]], options: WriteOptions, source_name: str
) -> list[RowResult]:
    """Validate and write the letters of some rows (in a worker process, or in this one);
    with PDFs, the rows' letters are converted together, in one LibreOffice start."""
    results: list[RowResult] = []
    records: list[tuple[RowResult, Record]] = []
    for number, data in rows:
        reference = data.get("reference")
        result = RowResult(number, reference if isinstance(reference, str) else None)
        results.append(result)
        try:
            records.append((result, record_from_row(data, options.config, file=source_name,
                                                    row=number)))
        except LetterkitError as error:
            result.outcome.error = error
    converter = (converter_for_this_process(options.config.soffice)
                 if options.pdf and records else None)
    before = converter.starts if converter is not None else 0
    outcomes = write_records([record for _, record in records], options, converter=converter)
    for (result, _), outcome in zip(records, outcomes, strict=True):
        result.outcome = outcome
    for result in results:
        result.outcome.problems = _at_row(result.outcome.problems, source_name, result.row)
        if result.outcome.error is not None:
            result.outcome.error.problems = _at_row(result.outcome.error.problems,
                                                    source_name, result.row)
    if converter is not None:
        results[-1].pdf_starts = converter.starts - before
    return results


def _at_row(problems: list[Problem], file: str, row: int) -> list[Problem]:
    return [dataclasses.replace(p, file=p.file or file, row=row) for p in problems]


def run_batch(
    csv_file: Path | CsvSource,
    options: WriteOptions | None = None,
    *,
    jobs: int = 1,
    fail_fast: bool = False,
    delimiter: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_row: Callable[[RowResult], None] = lambda result: None,
) -> BatchSummary:
    """Write the letters of every row of a CSV, as `write_records` writes a record's. Bad
    rows go to `errors.csv` and stop nothing (unless `fail_fast`); every file written is
    listed in `manifest.csv`. `on_start(rows)` is told how many rows there are (counting
    them reads the file once more), `on_row` each row's result as it finishes. With `jobs`
    above 1, a script calls this under `if __name__ == "__main__":` (Windows and macOS
    start each worker by importing the script)."""
    started = time.perf_counter()
    # Files are not flushed one by one: the whole batch is synced once at the end, where
    # the system can (Windows has no os.sync: there each file is flushed as it is written).
    sync = getattr(os, "sync", None)
    options = dataclasses.replace(options or WriteOptions(), durable=sync is None).fixed()
    source = csv_file if isinstance(csv_file, CsvSource) else open_csv(
        csv_file, delimiter, column_map(options.config.columns))
    if options.pdf:
        soffice(options.config.soffice)  # without LibreOffice, say how to get it, at once
    if on_start is not None:
        on_start(count_rows(source))
    out_dir = options.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_write(out_dir, error) from None
    for name in (MANIFEST, ERRORS, NOTES):  # said now, not after every row is made
        check_writable(out_dir / name)
    if options.resume:
        _remove_leftovers(out_dir)
    summary = BatchSummary()
    name = str(source.path)
    with _Manifest(out_dir / MANIFEST, out_dir) as manifest, \
            _RowProblems(out_dir, ERRORS) as errors, _RowProblems(out_dir, NOTES) as notes:

        def record(result: RowResult) -> bool:
            summary.rows += 1
            summary.letters += result.outcome.letters
            summary.files += len(result.outcome.written)
            summary.existing += len(result.outcome.existing)
            summary.pdf_starts += result.pdf_starts
            manifest.add(result)
            notes.add(result.row, result.reference, [*result.outcome.not_made,
                                                     *result.outcome.notes,
                                                     *result.outcome.warnings])
            summary.not_made += len(result.outcome.not_made)
            summary.in_the_way += sum(1 for p in result.outcome.problems if p.code == EXISTS)
            if result.failed:
                summary.failed_rows += 1
                errors.add(result.row, result.reference, result.problems)
            on_row(result)
            return not (fail_fast and result.failed)

        references = _References(name)
        stopped = False

        def rows() -> Iterator[tuple[int, dict[str, object]]]:
            nonlocal stopped
            for number, data in csv_rows(source):
                duplicate = references.duplicate(number, data)
                if duplicate is None:
                    yield number, data
                elif not record(duplicate):
                    stopped = True
                    return

        if jobs <= 1 or fail_fast:
            # Fail-fast goes a row at a time: nothing is written after the first bad row.
            for chunk in _chunks(rows(), 1 if fail_fast else CHUNK_ROWS):
                if not all([record(r) for r in process_rows(chunk, options, name)]):
                    stopped = True
                    break
        else:
            stopped = not _in_pool(rows(), options, name, jobs, record) or stopped
        summary.stopped_early = stopped
    if sync is not None:
        sync()
    summary.seconds = time.perf_counter() - started
    return summary


def _in_pool(
    rows: Iterator[tuple[int, dict[str, object]]],
    options: WriteOptions,
    name: str,
    jobs: int,
    record: Callable[[RowResult], bool],
) -> bool:
    """Rows over `jobs` processes, a bounded number of chunks in flight; False if stopped."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: set[Future[list[RowResult]]] = set()
        chunks = _chunks(rows, CHUNK_ROWS)
        try:
            while True:
                while len(pending) < jobs * CHUNKS_IN_FLIGHT_PER_JOB:
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    pending.add(pool.submit(process_rows, chunk, options, name))
                if not pending:
                    return True
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    if not all([record(r) for r in future.result()]):
                        for other in pending:
                            other.cancel()
                        for future_left in pending:  # rows already running still report
                            if not future_left.cancelled():
                                for r in future_left.result():
                                    record(r)
                        return False
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


class _References:
    """The folder each reference of a run writes to: a second row with the same reference,
    or one that would share its folder (`ACME/1` and `acme_1`, on a disk that ignores
    case), is a bad row naming the first, so no row replaces another's letters."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.seen: dict[str, tuple[int, str]] = {}

    def duplicate(self, number: int, data: dict[str, object]) -> RowResult | None:
        reference = data.get("reference")
        if not isinstance(reference, str):
            return None  # the row fails on its own
        try:
            folder = safe_folder_name(reference)
        except LetterkitError:
            return None
        first = self.seen.setdefault(folder.casefold(), (number, reference))
        if first[0] == number:
            return None
        row, earlier = first
        message = (f"{reference!r} is row {row}'s reference too" if earlier == reference else
                   f"{reference!r} would write to the same folder ({folder}) as row {row}'s "
                   f"{earlier!r}")
        error = InputError.at(f"{message}; each complaint needs a reference of its own, so "
                              "this row made nothing", file=self.file, row=number,
                              field="reference")
        return RowResult(number, reference, RecordOutcome(reference=reference, error=error))


def _chunks(
    rows: Iterable[tuple[int, dict[str, object]]], size: int
) -> Iterator[list[tuple[int, dict[str, object]]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _remove_leftovers(out_dir: Path) -> None:
    """Temporary files a killed run left behind (never a letter's own name)."""
    for leftover in out_dir.glob("*/.*.tmp"):
        leftover.unlink(missing_ok=True)


class _Manifest:
    """manifest.csv: one line per file written, appended (and flushed) as rows finish, so
    it is true even after an interruption. A rerun adds its own lines."""

    def __init__(self, path: Path, out_dir: Path) -> None:
        self.path, self.out_dir = path, out_dir

    def __enter__(self) -> _Manifest:
        new = not self.path.exists()
        try:
            self.fh = self.path.open("a", encoding=CSV_ENCODING, newline="")
        except OSError as error:
            raise cannot_write(self.path, error, "Excel") from None
        self.writer = csv.writer(self.fh)
        if new:
            self.writer.writerow(MANIFEST_COLUMNS)
        return self

    def add(self, result: RowResult) -> None:
        for file in result.outcome.written:
            self.writer.writerow([result.row, result.reference, file.kind, file.language,
                                  file.path.relative_to(self.out_dir).as_posix(), file.sha256])
        if result.outcome.written:
            self.fh.flush()

    def __exit__(self, *exc: object) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()


class _RowProblems:
    """errors.csv (or notes.csv) for this run, in row order. Collected in a temporary file
    and put in place at the end; a run without any removes the old file."""

    def __init__(self, out_dir: Path, name: str) -> None:
        self.path = out_dir / name
        self.partial = out_dir / f".{name}.partial"

    def __enter__(self) -> _RowProblems:
        try:
            self.fh = self.partial.open("w", encoding="utf-8", newline="")
        except OSError as error:
            raise cannot_write(self.partial, error) from None
        self.writer = csv.writer(self.fh)
        self.count = 0
        return self

    def add(self, row: int, reference: str | None, problems: list[Problem]) -> None:
        for problem in problems:
            self.writer.writerow([row, reference or "", problem.field or "", problem.message])
            self.count += 1
        if problems:
            self.fh.flush()

    def __exit__(self, *exc: object) -> None:
        self.fh.close()
        try:
            if not self.count:
                self.partial.unlink(missing_ok=True)
                self.path.unlink(missing_ok=True)
                return
            with self.partial.open(encoding="utf-8", newline="") as fh:
                lines = sorted(csv.reader(fh), key=lambda line: int(line[0]))
            with self.partial.open("w", encoding=CSV_ENCODING, newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(ERROR_COLUMNS)
                writer.writerows(lines)
            os.replace(self.partial, self.path)
        except OSError as error:
            # Opened in Excel since the run began: this run's list stays in the partial file.
            problem = cannot_write(self.path, error, "Excel").problems[0]
            raise CannotWrite.at(f"{problem.message}; this run's list is in {self.partial}",
                                 file=problem.file, code=problem.code) from None
