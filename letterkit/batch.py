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

from letterkit.bundle import RecordOutcome, WriteOptions, finish_pdfs, write_letters
from letterkit.config import apply_config
from letterkit.errors import LetterkitError, Problem
from letterkit.pdf import converter_for_this_process
from letterkit.record import validate_record
from letterkit.sources import CsvSource, csv_rows

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
    """One row's outcome, small enough to send back from a worker."""

    row: int
    reference: str | None
    outcome: RecordOutcome = field(default_factory=RecordOutcome)
    pdf_starts: int = 0  # LibreOffice starts this row's chunk took (counted on its last row)

    @property
    def failed(self) -> bool:
        return bool(self.outcome.problems)


@dataclass
class BatchSummary:
    rows: int = 0
    letters: int = 0
    files: int = 0
    skipped: int = 0
    not_made: int = 0
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
    results = [_process_row(number, data, options, source_name) for number, data in rows]
    if options.pdf and any(r.outcome.pending for r in results):
        converter = converter_for_this_process()
        before = converter.starts
        finish_pdfs([r.outcome for r in results], options, converter)
        results[-1].pdf_starts = converter.starts - before
    return results


def _process_row(
    number: int, data: dict[str, object], options: WriteOptions, source_name: str
) -> RowResult:
    reference = data.get("reference")
    result = RowResult(number, reference if isinstance(reference, str) else None)
    try:
        record = validate_record(apply_config(data, options.config), file=source_name,
                                 row=number)
        result.outcome = write_letters(record, options)
    except LetterkitError as error:
        result.outcome.problems = error.problems
    result.outcome.problems = [dataclasses.replace(p, file=p.file or source_name, row=number)
                               for p in result.outcome.problems]
    return result


def run_batch(
    source: CsvSource,
    options: WriteOptions,
    *,
    jobs: int = 1,
    fail_fast: bool = False,
    on_row: Callable[[RowResult], None] = lambda result: None,
) -> BatchSummary:
    """Write the letters of every row of a CSV. Bad rows go to `errors.csv` and stop
    nothing (unless `fail_fast`); every file written is listed in `manifest.csv`."""
    started = time.perf_counter()
    out_dir = options.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
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
            summary.skipped += len(result.outcome.skipped)
            summary.pdf_starts += result.pdf_starts
            manifest.add(result)
            notes.add(result.row, result.reference,
                      [*result.outcome.notes, *result.outcome.warnings])
            summary.not_made += sum(1 for n in result.outcome.notes if n.message.startswith(
                "skipped "))
            if result.failed:
                summary.failed_rows += 1
                errors.add(result.row, result.reference, result.outcome.problems)
            on_row(result)
            return not (fail_fast and result.failed)

        rows = csv_rows(source)
        if jobs <= 1:
            for chunk in _chunks(rows, CHUNK_ROWS):
                if not all([record(r) for r in process_rows(chunk, options, name)]):
                    summary.stopped_early = True
                    break
        else:
            summary.stopped_early = not _in_pool(rows, options, name, jobs, record)
    if not options.durable:
        os.sync()  # the letters were written without a sync each; make them durable now
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
        self.fh = self.path.open("a", encoding="utf-8", newline="")
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
        self.fh = self.partial.open("w", encoding="utf-8", newline="")
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
        if not self.count:
            self.partial.unlink(missing_ok=True)
            self.path.unlink(missing_ok=True)
            return
        with self.partial.open(encoding="utf-8", newline="") as fh:
            lines = sorted(csv.reader(fh), key=lambda line: int(line[0]))
        with self.partial.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(ERROR_COLUMNS)
            writer.writerows(lines)
        os.replace(self.partial, self.path)
