"""Many records from a CSV: rows rendered in parallel processes, each bad row reported in
errors.csv, each file written listed in manifest.csv, an interrupted run resumable."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
from filelock import FileLock, Timeout

from letterkit.collector import hold_collector, settle_collector
from letterkit.delivery.pdf import (
    MOST_PER_START,
    converter_for_this_process,
    end_all_conversions,
    soffice,
    stop_when,
)
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
from letterkit.kinds import KINDS
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
from letterkit.practice.wording import word_lists
from letterkit.record import Record, clean_text
from letterkit.sources import CsvSource, column_map, count_rows, csv_cells, open_csv, row_data
from letterkit.writing import RecordOutcome, WriteOptions, write_records

if TYPE_CHECKING:
    from multiprocessing.queues import SimpleQueue
    from multiprocessing.synchronize import Event

MANIFEST_COLUMNS = ("row", "reference", "kind", "language", "path", "sha256")
MANIFEST_LOCK = ".letterkit-manifest.lock"  # held while a run writes the manifest again
MANIFEST_LOCK_WAIT = 60.0  # seconds; another run's rewrite takes well under one
ERROR_COLUMNS = ("row", "reference", "field", "message")
# A path the system gave as bytes that are not UTF-8 (an old share's folder name) is
# written as \xff in our CSVs rather than stopping the run.
_UNSPEAKABLE = "backslashreplace"
# Rows go to the workers in chunks (fewer hand-offs), and only a few chunks per worker are
# in flight at once, so memory stays flat however long the CSV is.
CHUNK_ROWS = 8
CHUNKS_IN_FLIGHT_PER_JOB = 4
# With PDFs a chunk is a worker's share of the sheet (see _rows_a_task_with_pdfs), as each
# chunk's letters are converted in one LibreOffice start, about a second of a processor;
# one chunk per worker is in flight, so a Ctrl-C waits for no more than those running. A
# sheet is not shared out finer than this: two starts for fewer letters would cost more
# processor time (a second a start) than the half a second or less they save.
FEWEST_ROWS_A_START = 12


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
    rows: list[tuple[int, dict[str, object]]], options: WriteOptions, source_name: str,
    report: Callable[[RowResult], None] | None = None,
) -> list[RowResult]:
    """Validate and write the letters of some rows, each as `csv_cells` reads it (in a
    worker process, or in this one);
    with PDFs, the rows' letters are converted together, in one LibreOffice start. With
    `report`, each row but the last done is told to it as soon as it is done (with PDFs,
    a long while before the last), and only the others are returned; the last returned
    carries the LibreOffice starts."""
    results: list[RowResult] = []
    records: list[tuple[RowResult, Record]] = []
    for number, data in rows:
        reference = data.get("reference")  # as it will be listed: blank is none
        result = RowResult(number, reference if isinstance(reference, str)
                           and reference.strip() else None)
        results.append(result)
        try:
            records.append((result, record_from_row(row_data(data), options.config,
                                                    file=source_name, row=number)))
        except LetterkitError as error:
            result.outcome.error = error
        except Exception as error:  # noqa: BLE001 - one row's fault stops only that row
            result.outcome.error = unexpected(error)
    held: list[RowResult] = []  # done, and not yet reported: the last stays for the return
    finished: set[int] = set()

    def done(result: RowResult) -> None:
        if result.row in finished:
            return
        finished.add(result.row)
        result.outcome.problems = _at_row(result.outcome.problems, source_name, result.row)
        if result.outcome.error is not None:
            result.outcome.error.problems = _at_row(result.outcome.error.problems,
                                                    source_name, result.row)
        held.append(result)
        while report is not None and len(held) > 1:
            report(held.pop(0))

    for result in results:
        if result.outcome.error is not None:  # not even a record
            done(result)
    if not records:
        settle_collector()  # no letter to wait for (see letterkit.collector)

    def record_done(index: int, outcome: RecordOutcome) -> None:
        records[index][0].outcome = outcome
        done(records[index][0])

    converter = (converter_for_this_process(options.config.soffice)
                 if options.pdf and records else None)
    before = converter.starts if converter is not None else 0
    outcomes = write_records([record for _, record in records], options, converter=converter,
                             on_done=record_done)
    for index, outcome in enumerate(outcomes):
        record_done(index, outcome)  # any not told of
    if converter is not None and held:
        held[-1].pdf_starts = converter.starts - before
    return held if report is not None else results


def _process_in_worker(rows: list[tuple[int, dict[str, object]]], options: WriteOptions,
                       source_name: str) -> list[RowResult]:
    """process_rows in a worker process: each row reported to the batch as it is done."""
    assert _done_rows is not None, "started by _worker_start"
    return process_rows(rows, options, source_name, _done_rows.put)


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
    rows_in_sheet = None  # with PDFs, for sharing them out evenly
    if on_start is not None:
        rows_in_sheet = count_rows(source)
        on_start(rows_in_sheet)
    elif options.pdf:
        with contextlib.suppress(LetterkitError):  # reading the rows says what is wrong
            rows_in_sheet = count_rows(source)
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
            for number, data in csv_cells(source):  # nested by whoever makes the row
                duplicate = references.duplicate(number, data)
                if duplicate is None:
                    yield number, data
                elif not record(duplicate):
                    return

        size = _rows_a_task_with_pdfs(rows_in_sheet, jobs, options.kinds) if options.pdf \
            else CHUNK_ROWS
        if jobs <= 1 or fail_fast:
            # Fail-fast goes a row at a time: nothing is written after the first bad row.
            verdicts: list[bool] = []  # record's, row by row: False to stop after the chunk
            for chunk in _chunks(rows(), 1 if fail_fast else size):
                last = process_rows(chunk, options, name,
                                    lambda result: verdicts.append(record(result)))
                verdicts.extend([record(result) for result in last])
                if not all(verdicts):
                    break
        else:
            _in_pool(_chunks(rows(), size), options, name, jobs, record, summary,
                     stopping=lambda: stop.requested)
        summary.interrupted = stop.requested
    if sync is not None:
        sync()
    summary.seconds = time.perf_counter() - started
    return summary


def _rows_a_task_with_pdfs(rows: int | None, jobs: int, kinds: tuple[str, ...]) -> int:
    """Rows a worker takes at a time with PDFs: as its letters are converted in one
    LibreOffice start, each worker's even share of the sheet, or for a long sheet, even
    rounds of shares of at most MOST_PER_START letters."""
    letters_a_row = len(KINDS) if "all" in kinds else len(set(kinds))
    most = max(1, MOST_PER_START // letters_a_row)
    if rows is None:
        return most
    rounds = max(1, -(-rows // (jobs * most)))
    tasks = max(1, min(jobs * rounds, rows // FEWEST_ROWS_A_START))
    return min(most, -(-rows // tasks))


def _in_pool(
    chunks: Iterator[list[tuple[int, dict[str, object]]]],
    options: WriteOptions,
    name: str,
    jobs: int,
    record: Callable[[RowResult], bool],
    summary: BatchSummary,
    *,
    stopping: Callable[[], bool],
) -> None:
    """Chunks of rows over `jobs` processes, a bounded number in flight. When `record`
    or `stopping` says stop, no chunk is started, and those already running still report;
    should this process be interrupted again (a second Ctrl-C), the workers stop their
    LibreOffice at once."""
    context = multiprocessing.get_context()
    if context.get_start_method() == "fork":
        # Built here once, the word lists (a fifth of a second) are every forked worker's
        # from its first row; spawned workers (Windows, macOS) build their own. A list
        # that cannot be read is each row's error, said there as before.
        with contextlib.suppress(LetterkitError):
            word_lists(options.config.practice_words)
    # This process makes no letter: what it has loaded is kept (forked workers share it),
    # and the collector runs again for what reading and listing the rows leave.
    settle_collector()
    stop_now = context.Event()
    # Rows the workers have done, as they are done (a chunk with PDFs takes a while).
    done_rows: SimpleQueue[RowResult] = context.SimpleQueue()
    in_flight = jobs if options.pdf else jobs * CHUNKS_IN_FLIGHT_PER_JOB
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_start,
                             initargs=(stop_now, done_rows)) as pool:
        pending: dict[Future[list[RowResult]], list[tuple[int, dict[str, object]]]] = {}
        going = True

        def stop_starting() -> None:
            nonlocal going
            going = False
            for other in pending:
                other.cancel()  # not started: not done; running: they report

        try:
            while going or pending:
                while going and len(pending) < in_flight:
                    chunk = next(chunks, None)
                    if chunk is None:
                        going = False
                        break
                    pending[pool.submit(_process_in_worker, chunk, options, name)] = chunk
                if not pending:
                    break
                # Not waiting long: rows done are taken in (their put() must not wait
                # long), and a Ctrl-C is heard, while a long chunk (PDFs) runs.
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                # All a finished chunk's reports are in the queue (put() returns once its
                # row is in the pipe), so they are taken before its last rows.
                while not done_rows.empty():
                    if not record(done_rows.get()) and going:
                        stop_starting()
                if going and stopping():
                    stop_starting()
                for future in done:
                    chunk = pending.pop(future)
                    if future.cancelled():
                        continue
                    try:
                        results = future.result()
                    except Exception as error:  # noqa: BLE001 - it stops the run, in one line
                        # A worker that died (BrokenProcessPool), or a fault of the whole
                        # chunk: its rows not yet listed, and the rest, are a resumed run's.
                        problem = error.problems[0] if isinstance(error, LetterkitError) \
                            else Problem("a worker process stopped before its rows were made "
                                         f"({error})", file=name)
                        summary.stopped_by = summary.stopped_by or dataclasses.replace(
                            problem, row=None, message=f"{problem.message}; rows "
                            f"{chunk[0][0]} to {chunk[-1][0]} and those after them are not "
                            "done")
                        going = False
                        continue
                    if not all([record(r) for r in results]) and going:
                        stop_starting()
        except BaseException:
            stop_now.set()
            pool.shutdown(wait=False, cancel_futures=True)
            while not all(future.done() for future in pending):
                while not done_rows.empty():  # a worker must not wait to report
                    done_rows.get()
                time.sleep(0.05)
            raise


_done_rows: SimpleQueue[RowResult] | None = None  # in a worker: where done rows go


def _worker_start(stop_now: Event, done_rows: SimpleQueue[RowResult]) -> None:
    """In each worker process: Ctrl-C is for the parent, which stops the batch between
    rows (Windows and a terminal send it to every process), and tells the workers by
    `stop_now` when it must stop at once; rows go back by `done_rows` as they are done; a
    worker whose parent has died stops at once (with its LibreOffice) rather than writing
    letters no manifest will list."""
    global _done_rows
    hold_collector()  # until its first letter (see letterkit.collector)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop_when(stop_now.is_set)
    _done_rows = done_rows
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    try:
        process = psutil.Process(parent)
        while os.getppid() == parent and process.is_running() \
                and process.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.5)
    except psutil.Error:
        pass
    end_all_conversions()
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
        # Two runs into one folder write it in turns, each from the disk as it is then, so
        # the last to write has seen every file of both (at the same time, the later
        # write could leave out the other's last files).
        lock = FileLock(self.out_dir / MANIFEST_LOCK, timeout=MANIFEST_LOCK_WAIT)
        try:
            lock.acquire()
        except (Timeout, OSError):
            self._write_again()  # no lock to be had (a read-only share): as before
            return
        try:
            self._write_again()
        finally:
            lock.release()

    def _write_again(self) -> None:
        # What another run into the same folder listed meanwhile: the rows of its files.
        meanwhile = _read_manifest(self.path)
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
            theirs = meanwhile.get(relative)
            where = self.known.get(relative) or (old[:2] if old else None) or \
                (theirs[:2] if theirs else ["", ""])
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
