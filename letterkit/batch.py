"""Many records from a CSV: rows rendered in parallel processes, each bad row reported in
errors.csv, each file written listed in manifest.csv, an interrupted run resumable."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import psutil

from letterkit.delivery.pdf import converter_for_this_process, soffice
from letterkit.errors import (
    EXISTS,
    LOCKED,
    CannotWrite,
    DiskFull,
    InputError,
    LetterkitError,
    Problem,
    unexpected,
)
from letterkit.inputs import record_from_row
from letterkit.letters import Letter
from letterkit.output import (
    CSV_ENCODING,
    ERRORS,
    MANIFEST,
    NOTES,
    FolderClaims,
    cannot_write,
    check_output_folder,
    check_writable,
    csv_text,
    write_atomic,
)
from letterkit.record import Record, clean_text
from letterkit.sources import CsvSource, column_map, count_rows, csv_rows, open_csv
from letterkit.writing import RecordOutcome, WriteOptions, write_records

MANIFEST_COLUMNS = ("row", "reference", "kind", "language", "path", "sha256")
ERROR_COLUMNS = ("row", "reference", "field", "message")
# A path the system gave as bytes that are not UTF-8 (an old share's folder name) is
# written as \xff in our CSVs rather than stopping the run.
_UNSPEAKABLE = "backslashreplace"
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
        return self.outcome.failed and not self.stops_the_run

    @property
    def stops_the_run(self) -> bool:
        """The disk took nothing more while this row was made: the row is not bad, only
        not done (a resumed run does it)."""
        return isinstance(self.outcome.error, DiskFull)

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
    stopped_early: bool = False  # at the first bad row (fail_fast)
    # Why the run stopped before the end of the sheet, for another reason than a bad row
    # (a full disk, a worker process that died), or why its lists could not be written at
    # the end; the rows left are made by a resumed run.
    stopped_by: Problem | None = None
    interrupted: bool = False  # by Ctrl-C or SIGTERM; the rows left, too
    changed: int = 0  # letter files changed since the manifest listed them (new hashes)

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
        except Exception as error:  # noqa: BLE001 - one row's fault stops only that row
            result.outcome.error = unexpected(error)
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
    rows go to `errors.csv` and stop nothing (unless `fail_fast`); `manifest.csv` lists
    every letter file in the output folder with its hash when the run ends, however it
    ends (see `_Manifest`). `on_start(rows)` is told how many rows there are (counting
    them reads the file once more), `on_row` each row's result as it finishes.

    A full or read-only disk stops the run (`stopped_by` says why); so do Ctrl-C and
    SIGTERM, when called from the main thread (`interrupted`): the rows in hand are
    finished first, so the manifest is whole. A resumed run makes the rest. With `jobs`
    above 1, a script calls this under `if __name__ == "__main__":` (Windows and macOS
    start each worker by importing the script). At most twice as many processes as CPUs
    are started, whatever `jobs` asks.
    """
    started = time.perf_counter()
    # More processes than twice the CPUs only wait for each other (and -j 1000 would
    # start a thousand).
    jobs = max(1, min(jobs, 2 * (os.cpu_count() or 1)))
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
    check_output_folder(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_write(out_dir, error) from None
    for name, what in ((MANIFEST, "its list of the letters it wrote"),
                       (ERRORS, "its list of bad rows"), (NOTES, "its notes on the rows")):
        check_writable(out_dir / name, what)  # said now, not after every row is made
    if options.resume:
        _remove_leftovers(out_dir)
    summary = BatchSummary()
    name = str(source.path)
    with _StopRequests() as stop, \
            _Manifest(out_dir / MANIFEST, out_dir, summary, verify=options.resume) as manifest, \
            _RowProblems(out_dir, ERRORS, summary, name) as errors, \
            _RowProblems(out_dir, NOTES, summary, name) as notes, \
            _Reserve(out_dir, _reserve_size(out_dir, source.path)):

        def record(result: RowResult) -> bool:
            """Take in a finished row; False when the run must stop after it."""
            summary.letters += result.outcome.letters
            summary.files += len(result.outcome.written)
            summary.existing += len(result.outcome.existing)
            summary.pdf_starts += result.pdf_starts
            manifest.add(result)  # what a row wrote before the disk filled, too
            if result.stops_the_run:
                assert result.outcome.error is not None
                summary.stopped_by = summary.stopped_by or dataclasses.replace(
                    result.outcome.error.problems[0], row=None)  # the disk's fault, not the row's
                return False
            summary.rows += 1
            notes.add(result.row, result.reference, [*result.outcome.not_made,
                                                     *result.outcome.notes,
                                                     *result.outcome.warnings])
            summary.not_made += len(result.outcome.not_made)
            summary.in_the_way += sum(1 for p in result.outcome.problems if p.code == EXISTS)
            if result.failed:
                summary.failed_rows += 1
                errors.add(result.row, result.reference, result.problems)
            on_row(result)
            if fail_fast and result.failed:
                summary.stopped_early = True
                return False
            return not stop.requested

        references = _References(name)

        def rows() -> Iterator[tuple[int, dict[str, object]]]:
            for number, data in csv_rows(source):
                duplicate = references.duplicate(number, data)
                if duplicate is None:
                    yield number, data
                elif not record(duplicate):
                    return

        if jobs <= 1 or fail_fast:
            # Fail-fast goes a row at a time: nothing is written after the first bad row.
            for chunk in _chunks(rows(), 1 if fail_fast else CHUNK_ROWS):
                if not all([record(r) for r in process_rows(chunk, options, name)]):
                    break
        else:
            _in_pool(rows(), options, name, jobs, record, summary)
        summary.interrupted = stop.requested
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
    summary: BatchSummary,
) -> None:
    """Rows over `jobs` processes, a bounded number of chunks in flight. When `record`
    says stop, no chunk is started, and those already running still report."""
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start) as pool:
        pending: dict[Future[list[RowResult]], list[tuple[int, dict[str, object]]]] = {}
        chunks = _chunks(rows, CHUNK_ROWS)
        going = True
        try:
            while going or pending:
                while going and len(pending) < jobs * CHUNKS_IN_FLIGHT_PER_JOB:
                    chunk = next(chunks, None)
                    if chunk is None:
                        going = False
                        break
                    pending[pool.submit(process_rows, chunk, options, name)] = chunk
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk = pending.pop(future)
                    if future.cancelled():
                        continue
                    try:
                        results = future.result()
                    except BrokenProcessPool as error:
                        summary.stopped_by = summary.stopped_by or Problem(
                            f"a worker process stopped before its rows were made ({error}); "
                            f"rows {chunk[0][0]} to {chunk[-1][0]} and those after them are "
                            "not done", file=name)
                        going = False
                        continue
                    if not all([record(r) for r in results]) and going:
                        going = False
                        for other in pending:
                            other.cancel()  # not started: not done; running: they report
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _worker_start() -> None:
    """In each worker process: Ctrl-C is for the parent, which stops the batch between
    rows (Windows and a terminal send it to every process); and a worker whose parent has
    died stops at once rather than writing letters no manifest will list."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    try:
        process = psutil.Process(parent)
        while os.getppid() == parent and process.is_running() \
                and process.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.5)
    except psutil.Error:
        pass
    os._exit(1)


class _StopRequests:
    """Ctrl-C and SIGTERM while a batch runs (in the main thread): the first asks the
    batch to stop once the rows in hand are made, so every file written is in the
    manifest; a second stops at once."""

    def __enter__(self) -> _StopRequests:
        self.requested = False
        self.previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
                if sig is not None:
                    self.previous[sig] = signal.signal(sig, self._ask)
        return self

    def _ask(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


class _References:
    """A second row whose reference would write to a folder an earlier row writes to (the
    same reference, or one differing only in case, on a disk that ignores case) is a bad
    row naming the first, so no row replaces another's letters."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.claims = FolderClaims()

    def duplicate(self, number: int, data: dict[str, object]) -> RowResult | None:
        # As the record will have it: ` DUP-1 ` is DUP-1, and would write to its folder.
        reference = clean_text(data.get("reference"))
        if not isinstance(reference, str):
            return None  # the row fails on its own
        try:
            first = self.claims.earlier(reference, number)
        except LetterkitError:
            return None
        if first is None:
            return None
        row, earlier = first
        message = (f"{reference!r} is row {row}'s reference too" if earlier == reference else
                   f"{reference!r} would write to the same folder as row {row}'s {earlier!r} "
                   "(Windows and macOS disks do not tell capitals from small letters)")
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
    for leftover in [*out_dir.glob("*/.*.tmp"), *out_dir.glob(".*.tmp")]:
        leftover.unlink(missing_ok=True)


class _Manifest:
    """manifest.csv: every letter file in the output folder, with its row, reference,
    kind, language and sha256. Lines are appended (and flushed) as rows finish; when the
    run ends, however it ends, the file is written again from what is on disk: one line a
    file, none for a file that is gone, a line for a file an interrupted run left out (a
    killed process cannot say what it wrote), a new hash for a file changed since the
    manifest was last written (edited in Word, made again by `render`). A resumed run
    (`verify`) hashes again every file it keeps."""

    def __init__(self, path: Path, out_dir: Path, summary: BatchSummary, *,
                 verify: bool) -> None:
        self.path, self.out_dir, self.summary, self.verify = path, out_dir, summary, verify
        self.lines = _read_manifest(path)  # path in the folder: its line
        try:  # files changed after this were changed since the manifest listed them
            self.listed_at = path.stat().st_mtime_ns
        except OSError:
            self.listed_at = 0
        self.known: dict[str, list[str]] = {}  # rows' files, by path: row and reference
        self.hashes: dict[str, str] = {}  # files this run wrote, by path

    def __enter__(self) -> _Manifest:
        try:
            cut_short = self.path.exists() and not self.path.read_bytes().endswith(b"\n") \
                and self.path.stat().st_size > 0
            self.fh = self.path.open("a", encoding=CSV_ENCODING, newline="",
                                     errors=_UNSPEAKABLE)
            if self.fh.tell() == 0:
                self.fh.write(csv_text([MANIFEST_COLUMNS]))
            elif cut_short:
                self.fh.write("\r\n")  # never glue a line to one a killed run cut short
        except OSError as error:
            raise cannot_write(self.path, error, "Excel") from None
        return self

    def add(self, result: RowResult) -> None:
        where = [str(result.row), result.reference or ""]
        for file in result.outcome.written:
            relative = file.path.relative_to(self.out_dir).as_posix()
            self.known[relative] = where
            self.hashes[relative] = file.sha256
            try:
                self.fh.write(csv_text([[*where, file.kind, file.language, relative,
                                         file.sha256]]))
            except OSError:
                pass  # a full disk: the line comes back when the manifest is written again
        for path in result.outcome.existing:
            self.known[path.relative_to(self.out_dir).as_posix()] = where
        if result.outcome.written:
            with contextlib.suppress(OSError):
                self.fh.flush()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
        lines = []
        for relative, changed_at in _letter_files(self.out_dir):
            old = self.lines.get(relative)
            digest = self.hashes.get(relative)
            if digest is None and old is not None and not self.verify \
                    and changed_at <= self.listed_at:
                digest = old[5]  # listed, and not changed since
            if digest is None:
                digest = _sha256(self.out_dir / relative)
                if digest is None:
                    continue  # gone while we looked
                if old is not None and old[5] != digest:
                    self.summary.changed += 1
            where = self.known.get(relative) or (old[:2] if old else ["", ""])
            kind, language = _letter_file(relative) or ("", "")
            lines.append([*where, kind, language, relative, digest])
        try:
            write_atomic(self.path, _csv_bytes([list(MANIFEST_COLUMNS), *lines]), force=True,
                         program="Excel")
        except CannotWrite as error:  # a full disk: the lines appended are what there is
            self.summary.stopped_by = self.summary.stopped_by or dataclasses.replace(
                error.problems[0], message=f"{error.problems[0].message}; a resumed run "
                "brings it up to date with the letters on disk")


def _letter_file(name: str) -> tuple[str, str] | None:
    """(kind, language) of a letter's file, by its name or `<folder>/<name>`, else None."""
    return Letter.file_parts(name.rsplit("/", 1)[-1])


def _letter_files(out_dir: Path) -> list[tuple[str, int]]:
    """Every letter file in the complaints' folders of out_dir, as `<folder>/<name>`, with
    when it last changed (ns)."""
    found = []
    with contextlib.suppress(OSError), os.scandir(out_dir) as folders:
        for folder in folders:
            if not folder.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError), os.scandir(folder.path) as files:
                for file in files:
                    if _letter_file(file.name) and file.is_file(follow_symlinks=False):
                        with contextlib.suppress(OSError):
                            found.append((f"{folder.name}/{file.name}",
                                          file.stat(follow_symlinks=False).st_mtime_ns))
    return sorted(found)


def _read_manifest(path: Path) -> dict[str, list[str]]:
    """The lines of a manifest, by path; a line a killed run cut short, or one edited out
    of shape, is left out (the file it named is found again on disk)."""
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return {}
    lines = {}
    # A line at a time: no cell of ours holds a line break, so a quote a killed run left
    # open spoils its own line only, never the lines after it.
    for line in text.splitlines():
        try:
            cells = next(csv.reader([line]), [])
        except csv.Error:  # a cell longer than the csv module takes: not ours
            continue
        if len(cells) == len(MANIFEST_COLUMNS) and re.fullmatch(r"[0-9a-f]{64}", cells[5]):
            lines[cells[4]] = cells
    return lines


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _csv_bytes(rows: list[list[str]]) -> bytes:
    return csv_text(rows).encode(CSV_ENCODING, errors=_UNSPEAKABLE)


class _RowProblems:
    """errors.csv (or notes.csv) for this run, in row order, put in place at the end; a
    run without any removes the old file. Lines are also appended to a partial file as
    rows finish, for a run that is killed."""

    def __init__(self, out_dir: Path, name: str, summary: BatchSummary, sheet: str) -> None:
        self.path, self.sheet = out_dir / name, sheet
        self.partial = out_dir / f".{name}.partial"
        self.summary = summary
        self.lines: list[list[str]] = []

    def __enter__(self) -> _RowProblems:
        try:
            self.fh = self.partial.open("w", encoding=CSV_ENCODING, newline="",
                                        errors=_UNSPEAKABLE)
        except OSError as error:
            raise cannot_write(self.partial, error) from None
        return self

    def add(self, row: int, reference: str | None, problems: list[Problem]) -> None:
        # A problem of one of the row's files (already there, cannot be written) names it.
        lines = [[str(row), reference or "", p.field or "",
                  p.message if p.file in (None, self.sheet) else f"{p.file}: {p.message}"]
                 for p in problems]
        self.lines += lines
        with contextlib.suppress(OSError):  # a full disk: the lines are kept here
            self.fh.write(csv_text(lines))
            if lines:
                self.fh.flush()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
        try:
            if not self.lines:
                self.partial.unlink(missing_ok=True)
                self.path.unlink(missing_ok=True)
                return
            self.lines.sort(key=lambda line: int(line[0]))
            write_atomic(self.path, _csv_bytes([list(ERROR_COLUMNS), *self.lines]),
                         force=True, program="Excel")
            self.partial.unlink(missing_ok=True)
        except OSError as error:
            self._kept(cannot_write(self.path, error, "Excel"))
        except CannotWrite as error:  # opened in Excel since the run began, or no room
            self._kept(error)

    def _kept(self, error: CannotWrite) -> None:
        problem = error.problems[0]
        self.summary.stopped_by = self.summary.stopped_by or dataclasses.replace(
            problem, message=f"{problem.message}; this run's list is in {self.partial}")


class _Reserve:
    """Room kept on the disk for the run's own files (manifest, errors, notes): a file of
    that size, removed just before they are written at the end, so that a disk the
    letters filled still takes the manifest that lists them."""

    def __init__(self, out_dir: Path, size: int) -> None:
        self.path = out_dir / ".letterkit-reserve"
        self.size = size

    def __enter__(self) -> _Reserve:
        try:
            write_atomic(self.path, bytes(self.size), force=True, durable=False)
        except DiskFull as error:
            raise DiskFull.at(f"{error.problems[0].message} (a batch keeps "
                              f"{self.size // 1024} KiB free for its manifest)",
                              file=str(self.path.parent), code=LOCKED) from None
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def _reserve_size(out_dir: Path, source: Path) -> int:
    """Room for a manifest twice over (it is written anew beside the old one), and for
    the lines this sheet's rows may add (a few hundred bytes each, as many as its own)."""
    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0
    total = 2 * size(out_dir / MANIFEST) + 2 * size(out_dir / NOTES) + 3 * size(source)
    return min(max(total, 1 << 20), 256 << 20)
